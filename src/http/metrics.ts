// Prometheus metrics (prom-client): one registry per app, the counters operators watch, GET /metrics.
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { clusterMetricsFromPrimary, shareWithPrimary } from './cluster-metrics.js';
import { AppError } from './errors.js';

export const REFRESH_OUTCOMES = ['ok', 'grace', 'invalid', 'expired', 'reused', 'revoked', 'missing', 'unavailable'] as const;
export const AUTH_REJECTED_REASONS = ['missing', 'expired', 'invalid', 'revoked'] as const;
export const SIGN_IN_OUTCOMES = ['ok', 'wrong_credentials', 'limited'] as const;
/** The second step of a sign-in (DESIGN §11): passed with either kind of code, refused, or ended. */
export const SECOND_STEP_OUTCOMES = ['totp', 'recovery_code', 'wrong_code', 'locked', 'limited'] as const;
export const SECURITY_EMAIL_KINDS = [
  'new_device',
  'theft',
  'password_changed',
  'password_reset',
  'email_changed',
  'two_factor_disabled',
  'two_factor_enabled',
  'recovery_code_used',
  'passkey_added',
  'identity_linked',
  'ways_in_removed',
] as const;
export const SECURITY_EMAIL_OUTCOMES = ['sent', 'failed', 'logged'] as const;
export type SecurityEmailKind = (typeof SECURITY_EMAIL_KINDS)[number];
export type SecurityEmailOutcome = (typeof SECURITY_EMAIL_OUTCOMES)[number];
/** Passkey ceremonies (DESIGN §12): each kind that passed, refused ones, and a signature counter gone backwards. */
export const PASSKEY_OUTCOMES = ['signed_in', 'registered', 'added', 'confirmed', 'refused', 'counter_regressed'] as const;
export type PasskeyOutcome = (typeof PASSKEY_OUTCOMES)[number];
export type RefreshOutcome = (typeof REFRESH_OUTCOMES)[number];
export type AuthRejectedReason = (typeof AUTH_REJECTED_REASONS)[number];
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number];
export type SecondStepOutcome = (typeof SECOND_STEP_OUTCOMES)[number];

export interface Metrics {
  readonly registry: Registry;
  readonly refresh: Counter<'outcome'>;
  readonly authRejected: Counter<'reason'>;
  readonly signIn: Counter<'outcome'>;
  readonly secondStep: Counter<'outcome'>;
  readonly securityEmail: Counter<'kind' | 'outcome'>;
  readonly passkey: Counter<'outcome'>;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
}

// Most answers take a few milliseconds; a sign-in (bcrypt) a few hundred.
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function labelledCounter<L extends string>(registry: Registry, name: string, help: string, label: L, values: readonly string[]) {
  const counter = new Counter<L>({ name, help, labelNames: [label], registers: [registry] });
  // Every series exists from the start at 0, so rate() and alerts see the first increment.
  for (const value of values) counter.inc({ [label]: value } as Record<L, string>, 0);
  return counter;
}

function securityEmailCounter(registry: Registry): Counter<'kind' | 'outcome'> {
  const counter = new Counter({
    name: 'smriti_security_email_total',
    help: 'Security emails to account owners, by kind and outcome (sent, failed, or logged without SMTP)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  for (const kind of SECURITY_EMAIL_KINDS) for (const outcome of SECURITY_EMAIL_OUTCOMES) counter.inc({ kind, outcome }, 0);
  return counter;
}

/** Process metrics (CPU, memory, event loop, GC) start timers, so only an app that exposes them collects them. */
export function createMetrics(options: { processMetrics: boolean }): Metrics {
  const registry = new Registry();
  const metrics: Metrics = {
    registry,
    refresh: labelledCounter(registry, 'smriti_refresh_total', 'Refresh attempts by outcome', 'outcome', REFRESH_OUTCOMES),
    authRejected: labelledCounter(
      registry,
      'smriti_auth_rejected_total',
      'API requests refused 401 for their access token, by reason',
      'reason',
      AUTH_REJECTED_REASONS,
    ),
    signIn: labelledCounter(registry, 'smriti_sign_in_total', 'Sign-in attempts by outcome', 'outcome', SIGN_IN_OUTCOMES),
    secondStep: labelledCounter(registry, 'smriti_two_factor_total', 'Second steps of sign-in by outcome', 'outcome', SECOND_STEP_OUTCOMES),
    securityEmail: securityEmailCounter(registry),
    passkey: labelledCounter(registry, 'smriti_passkey_total', 'Passkey ceremonies by outcome', 'outcome', PASSKEY_OUTCOMES),
    requestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  if (cluster.isWorker) shareWithPrimary(registry);
  return metrics;
}

export function countRefresh(metrics: Metrics, outcome: RefreshOutcome): void {
  metrics.refresh.inc({ outcome });
}

export function countAuthRejected(metrics: Metrics, reason: AuthRejectedReason): void {
  metrics.authRejected.inc({ reason });
}

export function countSignIn(metrics: Metrics, outcome: SignInOutcome): void {
  metrics.signIn.inc({ outcome });
}

export function countSecondStep(metrics: Metrics, outcome: SecondStepOutcome): void {
  metrics.secondStep.inc({ outcome });
}

export function countSecurityEmail(metrics: Metrics, kind: SecurityEmailKind, outcome: SecurityEmailOutcome): void {
  metrics.securityEmail.inc({ kind, outcome });
}

export function countPasskey(metrics: Metrics, outcome: PasskeyOutcome): void {
  metrics.passkey.inc({ outcome });
}

/** The route pattern, never the URL: ids and tokens in paths must not become label values. */
export function routeLabel(req: Request): string {
  const pattern = req.route?.path;
  if (pattern !== undefined) return `${req.baseUrl}${String(pattern)}`;
  // Answered by middleware mounted on a path (static files, the page sign-in redirect): its mount.
  // Answered before any route or mount (unknown address, cross-site refusal, bad body): none.
  return req.baseUrl ? `${req.baseUrl}/*` : 'none';
}

export function timeRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.requestDuration.startTimer();
    res.once('finish', () => end({ method: req.method, route: routeLabel(req), status: res.statusCode }));
    next();
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so the time taken says nothing about how much of the token was right. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const presented = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), expected);
}

async function sendMetrics(metrics: Metrics, res: Response): Promise<void> {
  let text: string;
  try {
    text = cluster.isWorker ? await clusterMetricsFromPrimary() : await metrics.registry.metrics();
  } catch {
    throw new AppError(503, 'unavailable', 'The metrics of every worker could not be gathered; try the next scrape.');
  }
  res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(text);
}

/** GET /metrics: 404 unless METRICS_TOKEN is set, then 401 without `Authorization: Bearer <token>`. */
export function metricsRoutes(token: string | undefined, metrics: Metrics): Router {
  const router = Router();
  if (token === undefined) return router;
  const expected = digest(token);
  router.get('/metrics', async (req, res) => {
    if (!bearerMatches(req.get('authorization'), expected)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="smriti metrics"').type('text/plain');
      res.send('Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.\n');
      return;
    }
    await sendMetrics(metrics, res);
  });
  return router;
}
