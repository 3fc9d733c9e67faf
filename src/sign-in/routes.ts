// The ways in, as pages: registration, the password, the second step, and the fresh sign-in
// (/account/confirm) that sensitive actions ask for.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { setAuthCookies } from '../auth/cookies.js';
import {
  auditEvent,
  checkAccess,
  clientInfo,
  findSignedInUser,
  refreshSession,
  requirePageAuth,
  saveWriterTimeZone,
  signInState,
} from '../auth/middleware.js';
import { checkCurrentPassword, LOGIN_IP_LIMIT, limitedAnswer, upgradePasswordHash, verifySignInPassword } from '../auth/password-checks.js';
import { hashPassword, passwordProblem } from '../auth/passwords.js';
import { startSession } from '../auth/sessions.js';
import { recordSignInFailure, signInBlockedFor } from '../auth/sign-in-failures.js';
import { CONFIRM_PATH } from '../auth/step-up.js';
import { createUser, DuplicateEmailError, emailProblem, findUserByEmail, findUserById, normaliseEmail, type User } from '../auth/users.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { countSecondStep, countSignIn } from '../http/metrics.js';
import { emailKey, limiter, waitPhrase } from '../http/rate-limit.js';
import { PostgresStore } from '../http/rate-limit-postgres.js';
import { safeNextPath } from '../http/safe-next.js';
import { sendVerificationLink } from '../identity/verification.js';
import { announceRecoveryCode } from '../mfa/routes.js';
import { REUSED_CODE, type SecondFactorCheck, useSecondFactor } from '../mfa/second-factor.js';
import { isTotpEnabled } from '../mfa/totp.js';
import { rememberDevice } from '../notify/devices.js';
import { countPasskeys } from '../passkeys/credentials.js';
import { PASSKEY_SCRIPTS } from '../passkeys/static.js';
import { afterFirstFactor, completeSignIn } from './flow.js';
import {
  clearPendingCookie,
  endPendingSignIn,
  findPendingSignIn,
  MAX_CODE_FAILURES,
  type PendingSignIn,
  recordCodeFailure,
} from './pending.js';

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
const WRONG_CODE = 'That code is not right. Enter the 6-digit code your authenticator app shows now, or a recovery code.';
const ENTER_CODE = 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.';

export function signInRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db, logger } = ctx;
  const limits = ctx.rateLimits;
  // Counted in PostgreSQL, so several app processes allow together what one allows.
  const shared = (name: string) => new PostgresStore(db, ctx.now, name);
  const onLimited = () => countSignIn(ctx.metrics, 'limited');
  const loginLimits = [
    limiter(limits.loginPerIp, ctx.now, 'sign-in attempts', { store: shared(LOGIN_IP_LIMIT), onLimited }),
    limiter(limits.loginPerEmail, ctx.now, 'sign-in attempts for this account', { store: shared('login_email'), key: emailKey, onLimited }),
  ];
  const codeLimits = limiter(limits.loginPerIp, ctx.now, 'sign-in codes', {
    store: shared('two_factor_ip'),
    onLimited: () => countSecondStep(ctx.metrics, 'limited'),
  });

  /** Seconds the account must wait before another try, counting wrong passwords and wrong codes alike. */
  const blockedFor = (email: string) => signInBlockedFor(db, email, limits.failedSignInsPerAccount, ctx.now());

  router.get('/login', (req, res) => {
    const nextPath = safeNextPath(req.query.next);
    if (checkAccess(ctx, req).kind === 'signed_in' && !req.query.flash) return res.redirect(303, nextPath);
    const key = typeof req.query.flash === 'string' ? req.query.flash : '';
    const known = Object.hasOwn(LOGIN_FLASH_MESSAGES, key) ? LOGIN_FLASH_MESSAGES[key] : undefined;
    if (known) req.flash('info', known);
    const messages = takeFlash(req);
    res.render('auth/login', { title: 'Sign in', next: nextPath, email: '', errors: {}, messages, scripts: PASSKEY_SCRIPTS });
  });

  router.post('/login', ...loginLimits, async (req, res) => {
    const form = textFields(req.body, ['email', 'password', 'next', 'shared_computer'] as const);
    const nextPath = safeNextPath(form.next);
    const errors: FieldErrors = {};
    const badEmail = emailProblem(form.email);
    if (badEmail) errors.email = badEmail;
    if (form.password === '') errors.password = 'Enter your password.';
    const render = (status: number, fieldErrors: FieldErrors) =>
      res.status(status).render('auth/login', {
        title: 'Sign in',
        next: nextPath,
        email: form.email,
        errors: fieldErrors,
        messages: [],
        scripts: PASSKEY_SCRIPTS,
      });
    if (Object.keys(errors).length > 0) return render(400, errors);

    const waitSeconds = await blockedFor(form.email);
    if (waitSeconds > 0) {
      countSignIn(ctx.metrics, 'limited');
      res.set('Retry-After', String(waitSeconds));
      return render(429, { form: `Too many failed sign-ins for this account. Please wait ${waitPhrase(waitSeconds)} and try again.` });
    }
    const user = await findUserByEmail(db, form.email);
    const ok = await verifySignInPassword(ctx, form.email, user, form.password);
    if (!user || !ok) {
      countSignIn(ctx.metrics, 'wrong_credentials');
      await recordSignInFailure(db, form.email, ctx.now());
      const event = { type: AUDIT.loginFailed, userId: user?.id ?? null, detail: { known_user: Boolean(user) } };
      await recordAudit(db, logger, auditEvent(ctx, req, event));
      return render(401, { form: WRONG_CREDENTIALS });
    }
    await upgradePasswordHash(ctx, user, form.password);
    await saveWriterTimeZone(ctx, user.id, req.body?.time_zone);
    const signIn = { userId: user.id, email: user.email, method: 'password' as const, shared: form.shared_computer !== '', next: nextPath };
    await afterFirstFactor(ctx, req, res, signIn);
  });

  router.get('/login/two-factor', async (req, res) => {
    const pending = await findPendingSignIn(ctx, req);
    if (!pending) return pendingGone(ctx, res);
    res.render('auth/two-factor', { title: 'Two-step sign-in', errors: {} });
  });

  router.post('/login/two-factor', codeLimits, async (req, res) => {
    const pending = await findPendingSignIn(ctx, req);
    if (!pending) return pendingGone(ctx, res);
    const user = await findUserById(db, pending.userId);
    if (!user) return pendingGone(ctx, res);
    const { code } = textFields(req.body, ['code'] as const);
    const render = (status: number, message: string) =>
      res.status(status).render('auth/two-factor', { title: 'Two-step sign-in', errors: { code: message } });
    if (code.trim() === '') return render(400, ENTER_CODE);

    const waitSeconds = await blockedFor(user.email);
    if (waitSeconds > 0) {
      countSecondStep(ctx.metrics, 'limited');
      res.set('Retry-After', String(waitSeconds));
      return render(429, `Too many failed sign-ins for this account. Please wait ${waitPhrase(waitSeconds)} and try again.`);
    }
    const factor = await useSecondFactor(ctx, user.id, code);
    if (factor.kind === 'wrong') return wrongCode(ctx, req, res, pending, user, render, factor.reused ? REUSED_CODE : WRONG_CODE);
    // Spent once: a second request with the same pending cookie finds it ended.
    if (!(await endPendingSignIn(db, pending, new Date(ctx.now())))) return pendingGone(ctx, res);
    clearPendingCookie(ctx, res);
    countSecondStep(ctx.metrics, factor.kind);
    await noteRecoveryCode(ctx, req, user.id, factor);
    await completeSignIn(ctx, req, res, { ...pending, email: user.email, method: `${pending.method}+${factor.kind}` });
  });

  router.get('/register', (_req, res) => {
    res.render('auth/register', { title: 'Create your journal', email: '', errors: {}, scripts: PASSKEY_SCRIPTS });
  });

  router.post('/register', limiter(limits.registerPerIp, ctx.now, 'new accounts', { store: shared('register_ip') }), async (req, res) => {
    const form = textFields(req.body, ['email', 'password', 'password_confirm'] as const);
    const errors: FieldErrors = {};
    const badEmail = emailProblem(form.email);
    if (badEmail) errors.email = badEmail;
    const badPassword = passwordProblem(form.password, form.email);
    if (badPassword) errors.password = badPassword;
    else if (form.password !== form.password_confirm) errors.password_confirm = 'The two passwords do not match.';
    const render = (status: number, fieldErrors: FieldErrors) =>
      res
        .status(status)
        .render('auth/register', { title: 'Create your journal', email: form.email, errors: fieldErrors, scripts: PASSKEY_SCRIPTS });
    if (Object.keys(errors).length > 0) return render(400, errors);

    const client = clientInfo(req);
    const at = new Date(ctx.now());
    const hash = await hashPassword(ctx.passwords, form.password, `email:${normaliseEmail(form.email)}`);
    let userId: string;
    try {
      userId = (await createUser(db, form.email, hash, at)).id;
    } catch (error) {
      if (error instanceof DuplicateEmailError)
        return render(409, { email: 'An account with this email already exists. Sign in instead?' });
      throw error;
    }
    await saveWriterTimeZone(ctx, userId, req.body?.time_zone);
    const issued = await startSession(ctx, userId, client, { shared: false });
    await recordAudit(db, logger, { type: AUDIT.registered, userId, sessionId: issued.sid, ...client, at });
    setAuthCookies(res, ctx.config, issued, issued.shared);
    rememberDevice(ctx, req, res, { id: userId }, { newAccount: true });
    res.redirect(303, '/journal');
    // After the response: the journal works at once, and a mail failure never fails the registration.
    void sendVerificationLink(ctx, userId, form.email);
  });

  router.use(CONFIRM_PATH, requirePageAuth(ctx));

  router.get(CONFIRM_PATH, async (req, res) => {
    const user = await findSignedInUser(ctx, res);
    await renderConfirm(ctx, res, 200, user, safeNextPath(req.query.next, '/account'), {});
  });

  router.post(CONFIRM_PATH, async (req, res) => {
    const user = await findSignedInUser(ctx, res);
    const form = textFields(req.body, ['current_password', 'code', 'next'] as const);
    const nextPath = safeNextPath(form.next, '/account');
    const render = (status: number, errors: FieldErrors) => renderConfirm(ctx, res, status, user, nextPath, errors);
    const withCode = await isTotpEnabled(db, user.id);
    if (form.current_password === '') return render(400, { current_password: 'Enter your password.' });
    if (withCode && form.code.trim() === '') return render(400, { code: ENTER_CODE });

    const check = await checkCurrentPassword(ctx, req, user, form.current_password);
    if (check.kind === 'limited') throw limitedAnswer(res, check);
    if (check.kind === 'wrong') return render(401, { current_password: 'That is not your password.' });
    if (withCode) {
      const factor = await useSecondFactor(ctx, user.id, form.code);
      if (factor.kind === 'wrong') {
        await recordSignInFailure(db, user.email, ctx.now());
        await recordAudit(db, logger, auditEvent(ctx, req, { type: AUDIT.twoFactorFailed, userId: user.id, detail: { step_up: true } }));
        return render(401, { code: factor.reused ? REUSED_CODE : WRONG_CODE });
      }
      await noteRecoveryCode(ctx, req, user.id, factor);
    }
    await renewAuthTime(ctx, req, res, nextPath);
  });

  return router;
}

/** A fresh sign-in proved on the confirm page (password and code, or a passkey): a new pair in this session with auth_time now. */
export async function renewAuthTime(ctx: AppContext, req: Request, res: Response, nextPath: string): Promise<void> {
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const rotation = await refreshSession(ctx, req, res, nowSeconds);
  if (rotation.kind !== 'ok' && rotation.kind !== 'grace')
    return res.redirect(303, `/login?flash=session_expired&next=${encodeURIComponent(nextPath)}`);
  const auth = signInState(res);
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.stepUp, userId: auth.userId, sessionId: auth.sid }));
  res.redirect(303, nextPath);
}

/** The confirm page: the password (and code) when the account has one, its passkeys when it has any. */
export async function renderConfirm(ctx: AppContext, res: Response, status: number, user: User, nextPath: string, errors: FieldErrors) {
  const withCode = await isTotpEnabled(ctx.db, user.id);
  const withPassword = user.passwordHash !== null;
  const withPasskey = (await countPasskeys(ctx.db, user.id)) > 0;
  res.status(status).render('account/confirm', {
    title: 'Confirm it is you',
    email: user.email,
    next: nextPath,
    withCode,
    withPassword,
    withPasskey,
    errors,
    scripts: withPasskey ? PASSKEY_SCRIPTS : [],
  });
}

/** A used recovery code is recorded, and the person is told how many are left. */
async function noteRecoveryCode(ctx: AppContext, req: Request, userId: string, factor: SecondFactorCheck): Promise<void> {
  if (factor.kind !== 'recovery_code') return;
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.recoveryCodeUsed, userId, detail: { left: factor.left } }));
  announceRecoveryCode(ctx, userId, factor.left, clientInfo(req));
  const left = factor.left === 0 ? 'none are left: make new ones on your account page now' : `${factor.left} left`;
  req.flash('info', `You used a recovery code; ${left}.`);
}

async function wrongCode(
  ctx: AppContext,
  req: Request,
  res: Response,
  pending: PendingSignIn,
  user: User,
  render: (status: number, message: string) => void,
  message = WRONG_CODE,
): Promise<void> {
  const failures = await recordCodeFailure(ctx.db, pending);
  await recordSignInFailure(ctx.db, user.email, ctx.now());
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.twoFactorFailed, userId: user.id, detail: { failures } }));
  if (failures >= MAX_CODE_FAILURES) {
    countSecondStep(ctx.metrics, 'locked');
    await endPendingSignIn(ctx.db, pending, new Date(ctx.now()));
    clearPendingCookie(ctx, res);
    return res.redirect(303, '/login?flash=two_factor_locked');
  }
  countSecondStep(ctx.metrics, 'wrong_code');
  const left = MAX_CODE_FAILURES - failures;
  render(401, `${message} ${left} ${left === 1 ? 'try' : 'tries'} left.`);
}

/** No live pending sign-in (expired, spent, ended, or never): start again from the password. */
function pendingGone(ctx: AppContext, res: Response): void {
  clearPendingCookie(ctx, res);
  res.redirect(303, '/login?flash=sign_in_again');
}
