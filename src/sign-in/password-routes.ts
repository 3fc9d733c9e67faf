// The password as a way in: the sign-in page, registration, and their forms.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { checkAccess } from '../auth/middleware.js';
import { upgradePasswordHash, verifySignInPassword } from '../auth/password-checks.js';
import { hashPassword, passwordProblem } from '../auth/passwords.js';
import { withSignInTry } from '../auth/sign-in-failures.js';
import { createUser, DuplicateEmailError, emailProblem, findUserByEmail, normaliseEmail } from '../auth/users.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { countSignIn } from '../http/metrics.js';
import { emailKey, limiter, waitPhrase } from '../http/rate-limit.js';
import { failureLimiter, PostgresStore } from '../http/rate-limit-postgres.js';
import { safeNextPath } from '../http/safe-next.js';
import type { SignInFlow } from './methods.js';

export const LOGIN_FLASH_MESSAGES: Record<string, string> = {
  session_expired: 'Session expired. Please log in again.',
  logged_out: 'You have signed out.',
  password_changed: 'Your password was changed. Please sign in again.',
  signed_out_everywhere: 'You have been signed out everywhere.',
  password_reset: 'Your password was reset. Please sign in.',
  account_deleted: 'Your account and everything in it were deleted.',
  two_factor_locked: 'Too many wrong codes. Please sign in again.',
  sign_in_again: 'That sign-in was not finished in time. Please sign in again.',
  session_ended: 'You were signed out on another device or after a password change. Please sign in again.',
};

const WRONG_CREDENTIALS = 'That email and password do not match an account.';
const EMAIL_TAKEN = 'An account with this email already exists. Sign in instead?';

export function passwordRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();
  const limits = ctx.rateLimits;
  // Counted in PostgreSQL, so several app processes allow together what one allows. The sign-in
  // limits count failures only: a try is taken before the check and a right password gives it back.
  const onLimited = () => countSignIn(ctx.metrics, 'limited');
  const loginLimits = [
    failureLimiter(ctx, limits.loginPerIp, 'login_ip', 'sign-in attempts', { onLimited }),
    failureLimiter(ctx, limits.loginPerEmail, 'login_email', 'sign-in attempts for this account', { key: emailKey, onLimited }),
  ];
  const registerLimit = limiter(limits.registerPerIp, ctx.now, 'new accounts', {
    store: new PostgresStore(ctx.db, ctx.now, 'register_ip'),
  });

  function showLogin(req: Request, res: Response) {
    const next = safeNextPath(req.query.next);
    if (checkAccess(ctx, req).kind === 'signed_in' && !req.query.flash) return res.redirect(303, next);
    const key = typeof req.query.flash === 'string' ? req.query.flash : '';
    const known = Object.hasOwn(LOGIN_FLASH_MESSAGES, key) ? LOGIN_FLASH_MESSAGES[key] : undefined;
    if (known) req.flash('info', known);
    flow.renderLogin(res, 200, { next, messages: takeFlash(req) });
  }

  async function signInWithPassword(req: Request, res: Response) {
    const form = textFields(req.body, ['email', 'password', 'next', 'shared_computer'] as const);
    const next = safeNextPath(form.next);
    const render = (status: number, errors: FieldErrors) => flow.renderLogin(res, status, { next, email: form.email, errors });
    const errors: FieldErrors = {};
    const badEmail = emailProblem(form.email);
    if (badEmail) errors.email = badEmail;
    if (form.password === '') errors.password = 'Enter your password.';
    if (Object.keys(errors).length > 0) return render(400, errors);

    const user = await findUserByEmail(ctx.db, form.email);
    const check = () => verifySignInPassword(ctx, form.email, user, form.password);
    const tried = await withSignInTry(ctx, form.email, check, (ok) => ok && user !== undefined);
    if (tried.kind === 'limited') {
      countSignIn(ctx.metrics, 'limited');
      res.set('Retry-After', String(tried.retryAfterSeconds));
      return render(429, {
        form: `Too many failed sign-ins for this account. Please wait ${waitPhrase(tried.retryAfterSeconds)} and try again.`,
      });
    }
    if (!user || !tried.result) {
      countSignIn(ctx.metrics, 'wrong_credentials');
      const event = { type: AUDIT.loginFailed, userId: user?.id ?? null, detail: { known_user: Boolean(user) } };
      await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, event));
      return render(401, { form: WRONG_CREDENTIALS });
    }
    await upgradePasswordHash(ctx, user, form.password);
    await flow.afterFirstFactor(req, res, {
      userId: user.id,
      email: user.email,
      method: 'password',
      shared: form.shared_computer !== '',
      next,
    });
  }

  async function register(req: Request, res: Response) {
    const form = textFields(req.body, ['email', 'password', 'password_confirm'] as const);
    const render = (status: number, errors: FieldErrors) => flow.renderRegister(res, status, { email: form.email, errors });
    const errors: FieldErrors = {};
    const badEmail = emailProblem(form.email);
    if (badEmail) errors.email = badEmail;
    const badPassword = await passwordProblem(form.password, form.email);
    if (badPassword) errors.password = badPassword;
    else if (form.password !== form.password_confirm) errors.password_confirm = 'The two passwords do not match.';
    if (Object.keys(errors).length > 0) return render(400, errors);

    const email = normaliseEmail(form.email);
    const hash = await hashPassword(ctx.passwords, form.password, `email:${email}`);
    let userId: string;
    try {
      userId = (await createUser(ctx.db, form.email, hash, new Date(ctx.now()))).id;
    } catch (error) {
      if (error instanceof DuplicateEmailError) return render(409, { email: EMAIL_TAKEN });
      throw error;
    }
    const signIn = {
      userId,
      email,
      method: 'password',
      shared: false,
      next: '/journal',
      newAccount: { emailVerified: false },
      registration: true,
    };
    await flow.completeSignIn(req, res, signIn);
  }

  router.get('/login', showLogin);
  router.post('/login', ...loginLimits, signInWithPassword);
  router.get('/register', (_req, res) => flow.renderRegister(res, 200, {}));
  router.post('/register', registerLimit, register);
  return router;
}
