// "Continue with <provider>": the start, the callback, linking an identity to an existing account
// (only by its signed-in owner), and unlinking. The provider's answer is a first factor: two-step
// sign-in still follows (sign-in/flow.ts).
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { findSignedInUser, requirePageAuth, signInState } from '../auth/middleware.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import { createUser, DuplicateEmailError, findUserByEmail, findUserById } from '../auth/users.js';
import { auditEvent, clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { limiter } from '../http/rate-limit.js';
import { PostgresStore } from '../http/rate-limit-postgres.js';
import { safeNextPath } from '../http/safe-next.js';
import type { SignInFlow } from '../sign-in/methods.js';
import { findIdentityOwner, linkIdentity, listIdentities, noteIdentityUsed, unlinkIdentity } from './identities.js';
import { CALLBACK_PATH, type CallbackFailure, createOidcProvider, type OidcProvider, type ProviderClaims } from './oidc-client.js';
import { clearFlowCookie, findWaitingLink, type OidcFlow, parkLink, startFlow, takeFlow, takeWaitingLink } from './oidc-flows.js';
import { tellOwnerOfLink } from './verification.js';

const LINK_PATH = '/auth/oidc/link';

function failureSentence(kind: CallbackFailure | 'expired' | 'unverified' | 'no_email', name: string): string {
  const sentences = {
    expired: `This sign-in with ${name} expired or was already finished. Please start again.`,
    cancelled: `Signing in with ${name} was cancelled. You can try again, or sign in with your password.`,
    provider_error: `${name} did not sign you in. Please try again, or sign in with your password.`,
    state_mismatch: `This answer from ${name} does not belong to the sign-in this browser started. Please start again.`,
    rejected: `Smriti could not confirm the answer from ${name}. Please start again.`,
    code_used: `This answer from ${name} was already used or has expired. Please start again.`,
    unreachable: `Smriti could not reach ${name} to finish signing in. Please try again in a moment.`,
    unverified: `${name} has not verified the email address of that account, so Smriti cannot use it. Verify it at ${name} first, or sign in with your password.`,
    no_email: `${name} did not tell Smriti the email address of that account, so Smriti cannot use it.`,
  };
  return sentences[kind];
}

/** Behind accountRoutes' own check when mounted after it; checks for itself otherwise. */
function signedIn(ctx: AppContext): RequestHandler {
  const check = requirePageAuth(ctx);
  return (req, res, next) => (res.locals.auth ? next() : check(req, res, next));
}

export function oidcRoutes(ctx: AppContext, signIn: SignInFlow): Router {
  const router = Router();
  const oidc = ctx.config.oidc;
  if (!oidc) return router;
  const provider = createOidcProvider(oidc);
  const recent = requireRecentSignIn(ctx);
  const redirectUri = `${ctx.config.appOrigin}${CALLBACK_PATH}`;
  // Each start writes a flow row: counted like sign-in attempts, in PostgreSQL for every process.
  const starts = limiter(ctx.rateLimits.loginPerIp, ctx.now, 'sign-in attempts', { store: new PostgresStore(ctx.db, ctx.now, 'oidc_ip') });

  async function begin(res: Response, flow: Omit<OidcFlow, 'state' | 'nonce' | 'codeVerifier'>) {
    const start = await provider.begin(redirectUri).catch((error: unknown) => {
      ctx.logger.warn({ err: error, provider: provider.name }, 'the OpenID provider could not be reached');
      throw new AppError(
        503,
        'provider_unavailable',
        `Signing in with ${provider.name} is not possible right now: Smriti could not reach ${provider.name}. Please try again in a moment, or sign in with your password.`,
      );
    });
    await startFlow(ctx, res, { ...flow, state: start.state, nonce: start.nonce, codeVerifier: start.codeVerifier });
    res.redirect(303, start.url.href);
  }

  async function startSignIn(req: Request, res: Response) {
    const form = textFields(req.body, ['next', 'shared_computer'] as const);
    await begin(res, { intent: 'sign_in', userId: null, shared: form.shared_computer !== '', next: safeNextPath(form.next) });
  }

  async function startLink(_req: Request, res: Response) {
    if (!(await findSignedInUser(ctx, res)).emailVerifiedAt) throw unverifiedAccount(provider.name);
    await begin(res, { intent: 'link', userId: signInState(res).userId, shared: false, next: '/account' });
  }

  // The step-up page's other way to prove it is you, for an account that signs in through the provider.
  async function startConfirm(req: Request, res: Response) {
    const { next } = textFields(req.body, ['next'] as const);
    await begin(res, { intent: 'confirm', userId: signInState(res).userId, shared: false, next: safeNextPath(next, '/account') });
  }

  async function callback(req: Request, res: Response) {
    const refuse: Refuse = (sentence, status = 400) => {
      clearFlowCookie(ctx, res);
      signIn.renderLogin(res, status, { next: '/journal', errors: { form: sentence } });
    };
    const flow = await takeFlow(ctx, req);
    if (!flow) return refuse(failureSentence('expired', provider.name));
    const outcome = await provider.finish(new URL(req.originalUrl, ctx.config.appOrigin), flow);
    if (outcome.kind !== 'ok') {
      ctx.logger.warn({ provider: provider.name, outcome: outcome.kind, detail: outcome.detail }, 'OpenID Connect callback refused');
      return refuse(failureSentence(outcome.kind, provider.name), outcome.kind === 'unreachable' ? 503 : 400);
    }
    const { claims } = outcome;
    const owner = await findIdentityOwner(ctx.db, claims.issuer, claims.subject);
    if (flow.intent === 'link') return finishLinkFromAccount(ctx, req, res, provider, flow.userId!, owner, claims, refuse);
    if (flow.intent === 'confirm') return finishConfirm(ctx, signIn, req, res, provider, flow, owner, refuse);
    await finishSignIn(ctx, signIn, req, res, provider, flow, owner, claims, refuse);
  }

  async function showWaitingLink(req: Request, res: Response) {
    const link = await findWaitingLink(ctx, req);
    if (!link) throw new AppError(400, 'link_expired', failureSentence('expired', provider.name));
    if (link.userId !== signInState(res).userId) throw wrongAccount(provider.name, link.email);
    res.render('identity/link', { title: `Link ${provider.name}`, provider: provider.name, email: link.email });
  }

  async function linkWaiting(req: Request, res: Response) {
    const auth = signInState(res);
    const at = new Date(ctx.now());
    const result = await ctx.db.transaction(async (tx) => {
      const link = await takeWaitingLink(tx, req, at);
      if (!link) return 'expired' as const;
      if (link.userId !== auth.userId) throw wrongAccount(provider.name, link.email);
      if (!(await isEmailVerified(tx, auth.userId))) throw unverifiedAccount(provider.name);
      if (!(await linkIdentity(tx, { ...link }, at))) return 'taken' as const;
      const event = { type: AUDIT.identityLinked, userId: auth.userId, sessionId: auth.sid, detail: { provider: provider.name } };
      await recordAudit(tx, ctx.logger, auditEvent(ctx, req, event));
      return link;
    });
    clearFlowCookie(ctx, res);
    if (result === 'expired') throw new AppError(400, 'link_expired', failureSentence('expired', provider.name));
    if (result === 'taken')
      throw new AppError(409, 'identity_taken', `That ${provider.name} account is already linked to a Smriti account.`);
    tellOwnerOfLink(ctx, req, auth.userId, provider.name, result.email);
    req.flash('info', `Your ${provider.name} account is linked: you can now continue with ${provider.name} to sign in.`);
    res.redirect(303, '/account');
  }

  async function unlink(req: Request, res: Response) {
    const user = await findSignedInUser(ctx, res);
    const { issuer, subject } = textFields(req.body, ['issuer', 'subject'] as const);
    const identities = await listIdentities(ctx.db, user.id);
    if (!identities.some((i) => i.issuer === issuer && i.subject === subject)) {
      throw new AppError(404, 'not_found', 'That account is not linked to yours.');
    }
    // Never the last way in: without a password or another identity, the journal would be locked.
    if (user.passwordHash === null && identities.length < 2) {
      throw new AppError(409, 'last_way_in', `Set a password first: ${provider.name} is your only way to sign in.`);
    }
    await unlinkIdentity(ctx.db, user.id, issuer, subject);
    const event = { type: AUDIT.identityUnlinked, userId: user.id, sessionId: signInState(res).sid, detail: { provider: provider.name } };
    await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, event));
    req.flash('info', `Your ${provider.name} account is no longer linked.`);
    res.redirect(303, '/account');
  }

  router.post('/auth/oidc/start', starts, startSignIn);
  router.post('/account/identities/link', signedIn(ctx), recent, startLink);
  router.post('/account/confirm/oidc', signedIn(ctx), startConfirm);
  router.get(CALLBACK_PATH, callback);
  router.get(LINK_PATH, signedIn(ctx), showWaitingLink);
  router.post(LINK_PATH, signedIn(ctx), recent, linkWaiting);
  router.post('/account/identities/unlink', signedIn(ctx), recent, unlink);
  return router;
}

type Refuse = (sentence: string, status?: number) => void;

/** The provider's answer to "Continue with": the account it names, a new one, or a link to wait for. */
async function finishSignIn(
  ctx: AppContext,
  signIn: SignInFlow,
  req: Request,
  res: Response,
  provider: OidcProvider,
  flow: OidcFlow & { handle: string },
  owner: string | undefined,
  claims: ProviderClaims,
  refuse: Refuse,
): Promise<void> {
  if (owner) {
    const user = await findUserById(ctx.db, owner);
    if (!user) return refuse(failureSentence('expired', provider.name));
    await noteIdentityUsed(ctx.db, owner, claims.issuer, claims.subject, new Date(ctx.now()));
    clearFlowCookie(ctx, res);
    return signIn.afterFirstFactor(req, res, { userId: user.id, email: user.email, method: 'oidc', shared: flow.shared, next: flow.next });
  }
  // An unverified address proves nothing: it never makes an account and never links one.
  if (!claims.emailVerified) return refuse(failureSentence('unverified', provider.name));
  if (!claims.email) return refuse(failureSentence('no_email', provider.name));
  const created = await createAccount(ctx, req, claims);
  if (created) {
    clearFlowCookie(ctx, res);
    // Its first sign-in is where the account was made: no new-device email for it.
    const first = {
      userId: created,
      email: claims.email,
      method: 'oidc',
      shared: flow.shared,
      next: flow.next,
      newAccount: { emailVerified: true },
    };
    return signIn.afterFirstFactor(req, res, first);
  }
  // The address belongs to an account: never linked on the match alone (account pre-hijacking).
  // The identity waits until that account's owner signs in with what they have, then confirms.
  const existing = await findUserByEmail(ctx.db, claims.email);
  if (!existing) return refuse(failureSentence('expired', provider.name));
  await parkLink(ctx, res, flow.handle, { userId: existing.id, issuer: claims.issuer, subject: claims.subject, email: claims.email });
  req.flash(
    'info',
    `A Smriti account with ${claims.email} exists already. Sign in to it as usual to link your ${provider.name} account; Smriti never links accounts on a matching email alone.`,
  );
  res.redirect(303, `/login?${new URLSearchParams({ next: LINK_PATH })}`);
}

async function isEmailVerified(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM users WHERE id = $1 AND email_verified_at IS NOT NULL', [userId]);
  return result.rows.length > 0;
}

// A way in added before the address is proved would be removed when it is (sign-in/mailbox-proof.ts);
// a provider is refused outright, so an account someone made with another's address gains none.
function unverifiedAccount(name: string): AppError {
  return new AppError(
    403,
    'email_unverified',
    `Verify your email address first (open the link we sent you, or ask for a new one on your account page), then link your ${name} account.`,
  );
}

function wrongAccount(name: string, email: string): AppError {
  return new AppError(
    403,
    'wrong_account',
    `You are signed in to a different Smriti account. To link this ${name} account, sign out and sign in to the account with ${email}.`,
  );
}

/** A new account for a verified address nobody has: no password, the address verified. Undefined when taken. */
async function createAccount(ctx: AppContext, req: Request, claims: ProviderClaims): Promise<string | undefined> {
  const at = new Date(ctx.now());
  try {
    return await ctx.db.transaction(async (tx) => {
      const user = await createUser(tx, claims.email!, null, at, true);
      await linkIdentity(tx, { userId: user.id, issuer: claims.issuer, subject: claims.subject, email: claims.email! }, at);
      await recordAudit(tx, ctx.logger, { type: AUDIT.registered, userId: user.id, ...clientInfo(req), at, detail: { method: 'oidc' } });
      return user.id;
    });
  } catch (error) {
    if (error instanceof DuplicateEmailError) return undefined;
    throw error;
  }
}

/** A fresh sign-in at the provider renews auth_time in this session, as the confirm page does. */
async function finishConfirm(
  ctx: AppContext,
  signIn: SignInFlow,
  req: Request,
  res: Response,
  provider: OidcProvider,
  flow: OidcFlow,
  owner: string | undefined,
  refuse: Refuse,
): Promise<void> {
  clearFlowCookie(ctx, res);
  if (!owner || owner !== flow.userId) {
    return refuse(`That ${provider.name} account is not linked to the Smriti account you are signed in to.`, 403);
  }
  // With two-step on, the provider alone is one factor: the confirm page asks for the code as well.
  if (await signIn.hasSecondFactor(owner)) {
    return refuse(`Your account has two-step sign-in on: confirm with your password and a code instead.`, 403);
  }
  await signIn.renewAuthTime(req, res, { userId: owner, method: 'oidc', next: flow.next });
}

/** Linking from /account: the flow was started by this signed-in, recently confirmed user. */
async function finishLinkFromAccount(
  ctx: AppContext,
  req: Request,
  res: Response,
  provider: OidcProvider,
  userId: string,
  owner: string | undefined,
  claims: ProviderClaims,
  refuse: Refuse,
): Promise<void> {
  clearFlowCookie(ctx, res);
  if (owner && owner !== userId) return refuse(`That ${provider.name} account is already linked to another Smriti account.`, 409);
  if (!owner) {
    if (!claims.emailVerified) return refuse(failureSentence('unverified', provider.name));
    if (!(await isEmailVerified(ctx.db, userId))) throw unverifiedAccount(provider.name);
    const at = new Date(ctx.now());
    await linkIdentity(ctx.db, { userId, issuer: claims.issuer, subject: claims.subject, email: claims.email ?? null }, at);
    await recordAudit(
      ctx.db,
      ctx.logger,
      auditEvent(ctx, req, { type: AUDIT.identityLinked, userId, detail: { provider: provider.name } }),
    );
    tellOwnerOfLink(ctx, req, userId, provider.name, claims.email ?? null);
  }
  req.flash('info', owner ? `That ${provider.name} account was already linked to yours.` : `Your ${provider.name} account is linked.`);
  res.redirect(303, '/account');
}
