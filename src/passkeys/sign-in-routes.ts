// Passkeys as a way in: the sign-in button and autofill on /login, an account made with a passkey
// alone, and the fresh sign-in on /account/confirm. The options go out as JSON; the browser's answer
// comes back as a form post, so a success is the same 303 as every other sign-in.
import { randomUUID } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { findSignedInUser, requireApiAuth, requirePageAuth, signInState } from '../auth/middleware.js';
import { createUser, DuplicateEmailError, emailProblem, findUserByEmail, findUserById, normaliseEmail } from '../auth/users.js';
import { auditEvent, clientInfo, describeDevice } from '../client.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { countPasskey, countSignIn } from '../http/metrics.js';
import { limiter } from '../http/rate-limit.js';
import { failureLimiter, PostgresStore } from '../http/rate-limit-postgres.js';
import { safeNextPath } from '../http/safe-next.js';
import type { SignInFlow } from '../sign-in/methods.js';
import { usePasskey } from './assertions.js';
import {
  authenticationOptions,
  checkRegistration,
  MESSAGES,
  type Refusal,
  readResponse,
  registrationOptions,
  userIdFromHandle,
} from './ceremonies.js';
import { spendChallenge, storeChallenge } from './challenges.js';
import { insertPasskey, listPasskeys } from './credentials.js';
import { passkeyAdded } from './events.js';

const EXPIRED: Refusal = { kind: 'refused', reason: 'challenge', message: MESSAGES.expired };
const UNKNOWN: Refusal = { kind: 'refused', reason: 'unknown_passkey', message: MESSAGES.unknownPasskey };

/** A request the browser got wrong (unreadable, stale) is 400; a passkey that does not prove the person is 401. */
const statusOf = (refusal: Refusal) => (refusal.reason === 'unreadable' || refusal.reason === 'challenge' ? 400 : 401);

export function passkeySignInRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();
  const { db } = ctx;
  const limits = ctx.rateLimits;
  const shared = (name: string) => new PostgresStore(db, ctx.now, name);
  // Every /login page asks for options (autofill), so they get the looser per-request limit.
  const optionLimit = limiter(limits.refreshPerIp, ctx.now, 'passkey requests', { store: shared('passkey_options_ip') });
  // Failures only: a passkey that signs in gives its try back (completeSignIn).
  const signInLimit = failureLimiter(ctx, limits.loginPerIp, 'login_ip', 'sign-in attempts');
  const registerLimit = limiter(limits.registerPerIp, ctx.now, 'new accounts', { store: shared('register_ip') });

  async function signInOptions(_req: Request, res: Response) {
    const options = await authenticationOptions(ctx);
    await storeChallenge(db, 'sign_in', options.challenge, {}, ctx.now());
    res.json(options);
  }

  async function signInWithPasskey(req: Request, res: Response) {
    const form = textFields(req.body, ['response', 'next', 'shared_computer'] as const);
    const nextPath = safeNextPath(form.next);
    const refuse = async (refusal: Refusal, userId: string | null = null) => {
      countSignIn(ctx.metrics, 'wrong_credentials');
      countPasskey(ctx.metrics, 'refused');
      const detail = { method: 'passkey', reason: refusal.reason };
      await recordAudit(db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.loginFailed, userId, detail }));
      flow.renderLogin(res, statusOf(refusal), { next: nextPath, errors: { form: refusal.message } });
    };
    const read = readResponse<AuthenticationResponseJSON>(form.response);
    if (read.kind !== 'ok') return refuse(read);
    if (!(await spendChallenge(db, 'sign_in', read.challenge, ctx.now()))) return refuse(EXPIRED);
    const userId = userIdFromHandle(read.response.response.userHandle);
    const user = userId ? await findUserById(db, userId) : undefined;
    if (!user) return refuse(UNKNOWN);
    const used = await usePasskey(ctx, user.id, read.response, read.challenge);
    if (used.kind !== 'ok') return refuse(used, user.id);
    countPasskey(ctx.metrics, 'signed_in');
    // User verification was required, so the passkey is both factors: no second step.
    const shared = form.shared_computer !== '';
    await flow.completeSignIn(req, res, { userId: user.id, email: user.email, method: 'passkey', shared, next: nextPath });
  }

  async function registerOptions(req: Request, res: Response) {
    const { email } = textFields(req.body, ['email'] as const);
    const problem = emailProblem(email);
    if (problem) throw new AppError(400, 'email_invalid', problem, { email: problem });
    if (await findUserByEmail(db, email))
      throw new AppError(409, 'email_taken', 'An account with this email already exists. Sign in instead?');
    // The account's id is promised now, as the passkey's user handle, and kept with the challenge.
    const newUserId = randomUUID();
    const options = await registrationOptions(ctx, { id: newUserId, email: normaliseEmail(email) }, []);
    await storeChallenge(db, 'register', options.challenge, { newUserId, email: normaliseEmail(email) }, ctx.now());
    res.json(options);
  }

  async function confirmOptions(_req: Request, res: Response) {
    const auth = signInState(res);
    const passkeys = await listPasskeys(db, auth.userId);
    if (passkeys.length === 0)
      throw new AppError(409, 'no_passkeys', 'This account has no passkey yet. Confirm with your password instead.');
    const options = await authenticationOptions(ctx, passkeys);
    await storeChallenge(db, 'confirm', options.challenge, { userId: auth.userId }, ctx.now());
    res.json(options);
  }

  async function confirmWithPasskey(req: Request, res: Response) {
    const user = await findSignedInUser(ctx, res);
    const form = textFields(req.body, ['response', 'next'] as const);
    const nextPath = safeNextPath(form.next, '/account');
    const refuse = async (refusal: Refusal) => {
      countPasskey(ctx.metrics, 'refused');
      const detail = { step_up: true, method: 'passkey', reason: refusal.reason };
      await recordAudit(db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.loginFailed, userId: user.id, detail }));
      await flow.renderConfirm(res, statusOf(refusal), user, nextPath, { form: refusal.message });
    };
    const read = readResponse<AuthenticationResponseJSON>(form.response);
    if (read.kind !== 'ok') return refuse(read);
    const binding = await spendChallenge(db, 'confirm', read.challenge, ctx.now());
    // Bound to its user: a challenge handed to another account's session confirms nothing here.
    if (binding?.userId !== user.id) return refuse(EXPIRED);
    const used = await usePasskey(ctx, user.id, read.response, read.challenge);
    if (used.kind !== 'ok') return refuse(used);
    countPasskey(ctx.metrics, 'confirmed');
    await flow.renewAuthTime(req, res, { userId: user.id, method: 'passkey', next: nextPath });
  }

  router.post('/api/passkeys/sign-in/options', optionLimit, signInOptions);
  router.post('/login/passkey', signInLimit, signInWithPasskey);
  router.post('/api/passkeys/register/options', registerLimit, registerOptions);
  // Not limited again: each try needs options, which the registration limit already counted.
  router.post('/register/passkey', (req, res) => registerWithPasskey(ctx, flow, req, res));
  router.post('/api/passkeys/confirm/options', requireApiAuth(ctx), confirmOptions);
  router.post('/account/confirm/passkey', requirePageAuth(ctx), confirmWithPasskey);
  return router;
}

/** An account made with a passkey alone: no password until its owner sets one on /account. */
async function registerWithPasskey(ctx: AppContext, flow: SignInFlow, req: Request, res: Response): Promise<void> {
  const form = textFields(req.body, ['response', 'email'] as const);
  const render = (status: number, message: string) => flow.renderRegister(res, status, { email: form.email, errors: { form: message } });
  const refuse = (refusal: Refusal) => {
    countPasskey(ctx.metrics, 'refused');
    render(400, refusal.message);
  };
  const read = readResponse<RegistrationResponseJSON>(form.response);
  if (read.kind !== 'ok') return refuse(read);
  const binding = await spendChallenge(ctx.db, 'register', read.challenge, ctx.now());
  if (!binding?.newUserId || !binding.email) return refuse(EXPIRED);
  const checked = await checkRegistration(ctx, read.response, read.challenge);
  if (checked.kind !== 'ok') return refuse(checked);

  const client = clientInfo(req);
  const at = new Date(ctx.now());
  const { newUserId, email } = binding;
  let passkey: Awaited<ReturnType<typeof insertPasskey>>;
  try {
    passkey = await ctx.db.transaction(async (tx) => {
      await createUser(tx, email, null, at, false, newUserId);
      return insertPasskey(tx, newUserId, { ...checked.passkey, name: describeDevice(client.userAgent) }, at);
    });
  } catch (error) {
    if (error instanceof DuplicateEmailError) return render(409, 'An account with this email already exists. Sign in instead?');
    throw error;
  }
  if (passkey) await passkeyAdded(ctx, req, newUserId, passkey, undefined, { newAccount: true });
  countPasskey(ctx.metrics, 'registered');
  const signIn = {
    userId: newUserId,
    email,
    method: 'passkey',
    shared: false,
    next: '/journal',
    newAccount: { emailVerified: false },
    registration: true,
  };
  await flow.completeSignIn(req, res, signIn);
}
