// createApp(config, deps): the middleware in order and the routers mounted — the map of the app.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { passwordResetRoutes } from './account/reset-routes.js';
import { accountRoutes } from './account/routes.js';
import { DEVICE_COOKIE } from './auth/devices.js';
import { DEFAULT_QUEUE_LIMITS, type PasswordQueueLimits } from './auth/password-queue.js';
import { loadPasswordStrength } from './auth/password-strength.js';
import { createPasswordHasher, defaultParallelism } from './auth/passwords.js';
import { createRevokedSessions, type RevokedSessions } from './auth/revocations.js';
import { authRoutes } from './auth/routes.js';
import { createTokenKeys } from './auth/tokens.js';
import type { UserCache } from './auth/user-cache.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import type { Db } from './db/db.js';
import { createSecurityEvents } from './events.js';
import { crossSiteCheck } from './http/cross-site.js';
import { errorHandler, notFound, wantsJson } from './http/errors.js';
import { flashMessages } from './http/flash.js';
import { healthRoutes } from './http/health.js';
import { createMetrics, metricsRoutes, timeRequests } from './http/metrics.js';
import { byFirstSegment } from './http/mount.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './http/rate-limit.js';
import { renderWithLayout, VIEWS_DIR } from './http/views.js';
import { identityAccountSection } from './identity/account-section.js';
import { emailRoutes } from './identity/email-routes.js';
import { oidcMethod } from './identity/method.js';
import { verifyNewAddresses } from './identity/verification.js';
import { plainExcerpt } from './journal/markdown.js';
import { photoRoutes } from './journal/photo-routes.js';
import { firstPhotoOf } from './journal/photos.js';
import { journalRoutes } from './journal/routes.js';
import type { Readiness } from './lifecycle.js';
import { redactUrl } from './logger.js';
import { createMailer } from './mail.js';
import { twoFactorAccountSection } from './mfa/account-section.js';
import { twoFactorRoutes } from './mfa/routes.js';
import { totpFactor } from './mfa/second-factor.js';
import { createSecretBox } from './mfa/totp.js';
import { rememberDevices } from './notify/devices.js';
import { activityRoutes } from './notify/routes.js';
import { emailOwner } from './notify/security-email.js';
import { loadWebAuthn } from './passkeys/ceremonies.js';
import { passkeyMethod } from './passkeys/method.js';
import { passkeyBrowserBundle, VENDOR_PATH } from './passkeys/static.js';
import { reminderRoutes, unsubscribeRoutes } from './reminders/routes.js';
import { sealingAccountSection } from './sealing/account-section.js';
import { SEALING_BATCH_BODY_LIMIT, SEALING_BATCH_PATH, sealingApiRoutes } from './sealing/api-routes.js';
import { allowWasmEval, sealingPageRoutes } from './sealing/page-routes.js';
import { sealingBrowserLibraries } from './sealing/static.js';
import { createSignInFlow } from './sign-in/flow.js';
import type { SignInMethod } from './sign-in/methods.js';
import { signInRoutes } from './sign-in/routes.js';
import { formatDay, formatMoment, formatMonth } from './time-zone.js';

const PUBLIC_DIR = join(import.meta.dirname, '..', 'public');
const BODY_LIMIT = '1mb';

export interface AppDeps {
  db: Db;
  logger: Logger;
  /** Milliseconds since the epoch; defaults to Date.now. */
  now?: () => number;
  /** Kept current by the process (listenForRevocations); an app built without one gets its own, empty set. */
  revokedSessions?: RevokedSessions;
  /** Kept current by the same listener; without one, the signed-in user's row is read on every request. */
  userCache?: UserCache;
  /** Tests loosen or tighten the limits; the server always runs the defaults. */
  rateLimits?: Partial<RateLimitSettings>;
  /** Tests shrink the bcrypt queue to show its bounds; the server always runs the defaults. */
  passwordQueue?: Partial<PasswordQueueLimits>;
  /** The server flips it on SIGTERM so /readyz answers 503 while it drains; always ready otherwise. */
  readiness?: Readiness;
  /** The benchmark's own routes (bench/server.ts), behind every middleware as the API is; the server never sets it. */
  benchRoutes?: (ctx: AppContext) => Router;
  /** More ways in, after the configured ones (a test's fake); the server never sets it. */
  signInMethods?: readonly SignInMethod[];
}

/** The ways in, in the order their buttons appear: passkeys, the provider (buttons only when configured), then any handed in. */
function waysIn(deps: AppDeps): SignInMethod[] {
  return [passkeyMethod, oidcMethod, ...(deps.signInMethods ?? [])];
}

/**
 * Loads what the first sign-up or passkey ceremony needs (the password dictionaries, the WebAuthn
 * stack), called once the server listens: a start no longer waits for them, and the first person
 * does not either.
 */
export async function warmUp(): Promise<void> {
  await Promise.all([loadPasswordStrength(), loadWebAuthn()]);
}

export function buildContext(config: Config, deps: AppDeps): AppContext {
  const now = deps.now ?? Date.now;
  return {
    config,
    db: deps.db,
    logger: deps.logger,
    now,
    tokenKeys: createTokenKeys(config.jwt),
    revokedSessions: deps.revokedSessions ?? createRevokedSessions(config.jwt, now),
    userCache: deps.userCache,
    passwords: createPasswordHasher(config.bcryptRounds, { ...DEFAULT_QUEUE_LIMITS(defaultParallelism()), ...deps.passwordQueue }),
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...deps.rateLimits },
    mailer: createMailer(config.mail, deps.logger),
    events: createSecurityEvents({ logger: deps.logger, now }),
    metrics: createMetrics({ processMetrics: config.metricsToken !== undefined }),
    secretBox: createSecretBox(config.jwt.secret, config.jwt.previousSecrets),
    accountSections: [
      identityAccountSection,
      ...waysIn(deps).flatMap((m) => m.accountSection ?? []),
      twoFactorAccountSection,
      sealingAccountSection,
    ],
  };
}

function securityHeaders(config: Config) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        // A form post that redirects is checked against form-action all the way: "Continue with …"
        // and "Link …" end at the provider's authorization endpoint, on the issuer's origin.
        'form-action': ["'self'", ...(config.oidc ? [new URL(config.oidc.issuerUrl).origin] : [])],
        'upgrade-insecure-requests': config.cookies.secure ? [] : null,
      },
    },
    strictTransportSecurity: config.profile === 'production' ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

/** JSON routes never show a flash message, so they skip the cookie work. */
function pageFlash(config: Config): RequestHandler {
  const flash = flashMessages(config, DEVICE_COOKIE);
  return (req, res, next) => (wantsJson(req) ? next() : flash(req, res, next));
}

/**
 * Most requests (every GET) carry no body: without Content-Length or Transfer-Encoding the parsers
 * would only find that out, twice, at a measured cost on each request. Any request with either
 * header is parsed exactly as before.
 */
function onlyWithBody(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return next();
    parser(req, res, next);
  };
}

function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && /^[\w.-]{1,64}$/.test(header) ? header : randomUUID();
}

export function createApp(config: Config, deps: AppDeps): Express {
  const ctx = buildContext(config, deps);
  const methods = waysIn(deps);
  ctx.events.on(emailOwner(ctx));
  ctx.events.on(verifyNewAddresses(ctx));
  const flow = createSignInFlow(ctx, { methods, secondFactors: [totpFactor], onSessionStarted: [rememberDevices(ctx)] });
  const app = express();

  app.disable('x-powered-by');
  // Express would hash every response body for a weak ETag; the pages are per user and the API sets
  // its own (an entry's version), so the hash was pure cost: 8% of the refresh path's CPU, measured.
  app.set('etag', false);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  app.set('views', VIEWS_DIR);
  app.engine('ejs', renderWithLayout);
  app.set('view engine', 'ejs');
  app.set('view cache', config.profile === 'production');
  // The layout tells secureFetch the access lifetime, so it can renew once per token (DESIGN §7).
  app.locals.accessLifetimeSeconds = config.jwt.accessTtlSeconds;
  // Dates and excerpts as every view writes them (the writer's zone comes in res.locals.timeZone).
  Object.assign(app.locals, { formatMoment, formatDay, formatMonth, excerptOf: plainExcerpt, firstPhotoOf });
  // The sign-in pages show "Continue with …" only when a provider is configured (§13).
  app.locals.oidcProviderName = config.oidc?.providerName;

  app.use(timeRequests(ctx.metrics));
  app.use(
    pinoHttp({
      // The request line holds only the fields below (the URL already redacted), so its logger skips
      // the redaction pass that every other line goes through (2% of a request's CPU).
      logger: deps.logger.child({}, { redact: [] }),
      genReqId: (req, res) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      // Only what an operator needs: headers would cost time on every request, and carry credentials.
      // The serializers read the request and response themselves: pino's standard ones would first
      // copy every header and parse the query, all of it thrown away here.
      wrapSerializers: false,
      serializers: {
        req: (req: IncomingMessage & { id: string; originalUrl?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.originalUrl ?? req.url ?? ''),
          remoteAddress: req.socket?.remoteAddress,
        }),
        res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );
  app.use(securityHeaders(config));
  // Mounted on its own paths: at the root, every page request would first stat() the disk on
  // libuv's small thread pool, where it waits behind bcrypt during a burst of sign-ins.
  const maxAge = config.profile === 'production' ? '1h' : 0;
  // A sealed journal's Argon2id runs in a Web Worker, whose own response carries the policy it runs under.
  app.use('/js/sealing', allowWasmEval());
  for (const dir of ['css', 'js', 'icons']) {
    app.use(`/${dir}`, express.static(join(PUBLIC_DIR, dir), { index: false, maxAge }));
  }
  app.use(VENDOR_PATH, passkeyBrowserBundle(config.profile === 'production'));
  app.use(sealingBrowserLibraries(config.profile === 'production'));
  // Everything past the static files may carry a signed-in user's data, or be a redirect a signed-in
  // user passes through: no browser cache and no back-forward cache may keep it (DESIGN §14).
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // What makes the app installable (DESIGN §15), and the icon browsers ask for on every site.
  app.get('/favicon.ico', (_req, res) => res.sendFile(join(PUBLIC_DIR, 'favicon.ico'), { maxAge }));
  app.get('/manifest.webmanifest', (_req, res) =>
    res.type('application/manifest+json').sendFile(join(PUBLIC_DIR, 'manifest.webmanifest'), { maxAge }),
  );
  app.use(byFirstSegment(healthRoutes(ctx.db, deps.readiness)));
  app.use(byFirstSegment(metricsRoutes(config.metricsToken, ctx.metrics)));
  // A mail provider's one-click unsubscribe comes from its own servers, with no Origin (RFC 8058).
  app.use(byFirstSegment(unsubscribeRoutes(ctx)));
  // Before any body is read: a cross-site request is refused without parsing what it sent.
  app.use(crossSiteCheck(config.appOrigin));

  // A sealing batch carries many entries' ciphertext, in base64 a third larger than their text.
  app.use(SEALING_BATCH_PATH, onlyWithBody(express.json({ limit: SEALING_BATCH_BODY_LIMIT })));
  app.use(onlyWithBody(express.json({ limit: BODY_LIMIT })));
  app.use(onlyWithBody(express.urlencoded({ extended: false, limit: BODY_LIMIT })));
  app.use(cookieParser());
  app.use(pageFlash(config));

  app.use(byFirstSegment(signInRoutes(ctx, flow)));
  for (const method of methods) app.use(byFirstSegment(method.routes(ctx, flow)));
  app.use(byFirstSegment(authRoutes(ctx)));
  app.use(byFirstSegment(twoFactorRoutes(ctx)));
  if (deps.benchRoutes) app.use(byFirstSegment(deps.benchRoutes(ctx)));
  app.use(byFirstSegment(sealingApiRoutes(ctx)));
  app.use(byFirstSegment(sealingPageRoutes(ctx))); // before journalRoutes, whose /journal/:id would take /journal/unlock
  app.use(byFirstSegment(photoRoutes(ctx))); // before journalRoutes, whose /journal/:id would take /journal/photos
  app.use(byFirstSegment(journalRoutes(ctx)));
  // Before accountRoutes: its requirePageAuth on /account/* would otherwise run first, and twice.
  app.use(byFirstSegment(activityRoutes(ctx)));
  app.use(byFirstSegment(reminderRoutes(ctx)));
  app.use(byFirstSegment(accountRoutes(ctx)));
  app.use(byFirstSegment(emailRoutes(ctx, flow)));
  app.use(byFirstSegment(passwordResetRoutes(ctx, flow)));

  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}
