// Sign-in, registration, sign-out, token refresh and the signed-in user, as pages and JSON.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import type { AppContext } from '../context.js';
import { AppError, type FieldErrors } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { countSignIn } from '../http/metrics.js';
import { emailKey, limiter, waitPhrase } from '../http/rate-limit.js';
import { PostgresStore } from '../http/rate-limit-postgres.js';
import { safeNextPath } from '../http/safe-next.js';
import { clearAuthCookies, REFRESH_COOKIE, readCookie, setAuthCookies } from './cookies.js';
import { auditEvent, checkAccess, clientInfo, refreshSession, requireApiAuth, signedInUser, signInState } from './middleware.js';
import { hashPassword, passwordProblem, verifyAgainstNothing, verifyPassword } from './passwords.js';
import { endSessions, type IssuedSession, sessionOfRefreshToken, startSession } from './sessions.js';
import { clearSignInFailures, recordSignInFailure, signInBlockedFor } from './sign-in-failures.js';
import { createUser, DuplicateEmailError, emailProblem, findUserByEmail } from './users.js';

export const LOGIN_FLASH_MESSAGES: Record<string, string> = {
  session_expired: 'Session expired. Please log in again.',
  logged_out: 'You have signed out.',
  password_changed: 'Your password was changed. Please sign in again.',
  signed_out_everywhere: 'You have been signed out everywhere.',
  password_reset: 'Your password was reset. Please sign in.',
  account_deleted: 'Your account and everything in it were deleted.',
};

const REFRESH_MESSAGES = {
  missing: 'You are not signed in.',
  invalid: 'Your session is no longer valid. Please sign in again.',
  expired: 'Your session has expired. Please sign in again.',
  reused: 'This session was signed out for your safety because an old sign-in token was used again. Please sign in again.',
} as const;

const WRONG_CREDENTIALS = 'That email and password do not match an account.';

function startSignedIn(ctx: AppContext, res: Response, issued: IssuedSession): void {
  setAuthCookies(res, ctx.config, { access: issued.access.token, refresh: issued.refresh.token }, issued.shared);
}

export function authRoutes(ctx: AppContext): Router {
  const router = Router();
  const { config, db, logger } = ctx;
  const limits = ctx.rateLimits;
  // Counted in PostgreSQL, so several app processes allow together what one allows.
  const shared = (name: string) => new PostgresStore(db, ctx.now, name);
  const onLimited = () => countSignIn(ctx.metrics, 'limited');
  const loginLimits = [
    limiter(limits.loginPerIp, ctx.now, 'sign-in attempts', { store: shared('login_ip'), onLimited }),
    limiter(limits.loginPerEmail, ctx.now, 'sign-in attempts for this account', { store: shared('login_email'), key: emailKey, onLimited }),
  ];

  router.get('/login', (req, res) => {
    const nextPath = safeNextPath(req.query.next);
    if (checkAccess(ctx, req).kind === 'signed_in' && !req.query.flash) return res.redirect(303, nextPath);
    const key = typeof req.query.flash === 'string' ? req.query.flash : '';
    const known = Object.hasOwn(LOGIN_FLASH_MESSAGES, key) ? LOGIN_FLASH_MESSAGES[key] : undefined;
    if (known) req.flash('info', known);
    const messages = takeFlash(req);
    res.render('auth/login', { title: 'Sign in', next: nextPath, email: '', errors: {}, messages });
  });

  router.post('/login', ...loginLimits, async (req, res) => {
    const form = textFields(req.body, ['email', 'password', 'next', 'shared_computer'] as const);
    const nextPath = safeNextPath(form.next);
    const errors: FieldErrors = {};
    const badEmail = emailProblem(form.email);
    if (badEmail) errors.email = badEmail;
    if (form.password === '') errors.password = 'Enter your password.';
    const render = (status: number, fieldErrors: FieldErrors) =>
      res.status(status).render('auth/login', { title: 'Sign in', next: nextPath, email: form.email, errors: fieldErrors, messages: [] });
    if (Object.keys(errors).length > 0) return render(400, errors);

    const blockedFor = await signInBlockedFor(db, form.email, limits.failedSignInsPerAccount, ctx.now());
    if (blockedFor > 0) {
      countSignIn(ctx.metrics, 'limited');
      res.set('Retry-After', String(blockedFor));
      return render(429, { form: `Too many failed sign-ins for this account. Please wait ${waitPhrase(blockedFor)} and try again.` });
    }
    const client = clientInfo(req);
    const at = new Date(ctx.now());
    const user = await findUserByEmail(db, form.email);
    const ok = user
      ? await verifyPassword(ctx.passwords, form.password, user.passwordHash)
      : await verifyAgainstNothing(ctx.passwords, form.password);
    if (!user || !ok) {
      countSignIn(ctx.metrics, 'wrong_credentials');
      await recordSignInFailure(db, form.email, ctx.now());
      await recordAudit(db, logger, {
        type: AUDIT.loginFailed,
        userId: user?.id ?? null,
        ...client,
        at,
        detail: { known_user: Boolean(user) },
      });
      return render(401, { form: WRONG_CREDENTIALS });
    }
    await clearSignInFailures(db, form.email);
    const issued = await startSession(ctx, user.id, client, form.shared_computer !== '');
    await recordAudit(db, logger, { type: AUDIT.loginSucceeded, userId: user.id, sessionId: issued.sid, ...client, at });
    countSignIn(ctx.metrics, 'ok');
    startSignedIn(ctx, res, issued);
    res.redirect(303, nextPath);
  });

  router.get('/register', (_req, res) => {
    res.render('auth/register', { title: 'Create your journal', email: '', errors: {} });
  });

  router.post('/register', limiter(limits.registerPerIp, ctx.now, 'new accounts', { store: shared('register_ip') }), async (req, res) => {
    const form = textFields(req.body, ['email', 'password', 'password_confirm'] as const);
    const errors: FieldErrors = {};
    const badEmail = emailProblem(form.email);
    if (badEmail) errors.email = badEmail;
    const badPassword = passwordProblem(form.password);
    if (badPassword) errors.password = badPassword;
    else if (form.password !== form.password_confirm) errors.password_confirm = 'The two passwords do not match.';
    const render = (status: number, fieldErrors: FieldErrors) =>
      res.status(status).render('auth/register', { title: 'Create your journal', email: form.email, errors: fieldErrors });
    if (Object.keys(errors).length > 0) return render(400, errors);

    const client = clientInfo(req);
    const at = new Date(ctx.now());
    const hash = await hashPassword(ctx.passwords, form.password);
    let userId: string;
    try {
      userId = (await createUser(db, form.email, hash, at)).id;
    } catch (error) {
      if (error instanceof DuplicateEmailError)
        return render(409, { email: 'An account with this email already exists. Sign in instead?' });
      throw error;
    }
    const issued = await startSession(ctx, userId, client, false);
    await recordAudit(db, logger, { type: AUDIT.registered, userId, sessionId: issued.sid, ...client, at });
    startSignedIn(ctx, res, issued);
    res.redirect(303, '/journal');
  });

  router.post('/logout', async (req, res) => {
    const session = sessionToEnd(ctx, req);
    if (session) {
      await endSessions(db, session.userId, 'logout', new Date(ctx.now()), { only: session.sid });
      await recordAudit(db, logger, auditEvent(ctx, req, { type: AUDIT.logout, userId: session.userId, sessionId: session.sid }));
    }
    clearAuthCookies(res, config);
    res.redirect(303, '/login?flash=logged_out');
  });

  router.post('/refresh', limiter(limits.refreshPerIp, ctx.now, 'session refreshes'), async (req, res) => {
    const rotation = await refreshSession(ctx, req, res);
    if (rotation.kind !== 'ok' && rotation.kind !== 'grace') {
      throw new AppError(401, `refresh_${rotation.kind}`, REFRESH_MESSAGES[rotation.kind]);
    }
    res.json({ accessTokenExpiresAt: rotation.session.access.claims.exp });
  });

  router.get('/api/me', requireApiAuth(ctx), async (_req, res) => {
    const user = await signedInUser(ctx, res);
    const auth = signInState(res);
    res.json({ id: user.id, email: user.email, sessionId: auth.sid, accessTokenExpiresAt: auth.accessExpiresAt });
  });

  router.get('/api/test-token-expired', (_req, _res, next) => {
    // A fixed 401 lets the browser suite drive secureFetch's refresh path; never in production.
    if (config.profile === 'production') return next();
    next(new AppError(401, 'token_expired', 'This test route always answers as if the access token had expired.'));
  });

  return router;
}

/** The session a sign-out ends: from the access token, or from the refresh token when that lapsed. */
function sessionToEnd(ctx: AppContext, req: Request): { userId: string; sid: string } | undefined {
  const access = checkAccess(ctx, req);
  if (access.kind === 'signed_in') return access.auth;
  return sessionOfRefreshToken(ctx, readCookie(req.cookies, REFRESH_COOKIE));
}
