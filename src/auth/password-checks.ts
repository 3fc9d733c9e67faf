// Every check of a password someone types: the signed-in user's own password counted against the
// account's failed-sign-in limit (never the address's: DESIGN §8), an audit event for each failure,
// the dummy check for unknown emails at the stored hashes' cost, and re-hashing at a changed cost.
import type { Request, Response } from 'express';
import { AUDIT, type AuditType, logAudit, recordAudit } from '../audit.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { waitPhrase } from '../http/rate-limit.js';
import { hashCost, hashPassword, verifyAgainstNothing, verifyPassword } from './passwords.js';
import { type SignInTry, withSignInTry } from './sign-in-failures.js';
import { normaliseEmail, replacePasswordHash, type User } from './users.js';

export type CurrentPasswordCheck =
  | { kind: 'ok' }
  | { kind: 'wrong'; message: string }
  | { kind: 'limited'; retryAfterSeconds: number; message: string };

const WRONG_CURRENT = 'That is not your current password.';
// The account's queue empties within a hash or two.
const ACCOUNT_BUSY_RETRY_SECONDS = 2;

function limited(retryAfter: number, message: string): CurrentPasswordCheck & { kind: 'limited' } {
  return { kind: 'limited', retryAfterSeconds: retryAfter, message };
}

type Limited = CurrentPasswordCheck & { kind: 'limited' };

// Accounts this process found limited, until when: a flood of refused guesses is answered from
// memory, with one audit row per refusal window and log lines for the rest, so it costs next to
// nothing. The database stays the authority: an account not in here is always checked there.
const knownLimited = new WeakMap<AppContext, Map<string, Limited & { until: number }>>();

function rememberedLimit(ctx: AppContext, user: User): CurrentPasswordCheck | undefined {
  const entry = knownLimited.get(ctx)?.get(user.id);
  if (!entry) return undefined;
  const left = Math.ceil((entry.until - ctx.now()) / 1000);
  if (left <= 0) {
    knownLimited.get(ctx)?.delete(user.id);
    return undefined;
  }
  return limited(left, entry.message);
}

function rememberLimit(ctx: AppContext, user: User, check: Limited): void {
  let accounts = knownLimited.get(ctx);
  if (!accounts) {
    accounts = new Map();
    knownLimited.set(ctx, accounts);
  }
  // Bounded: a crowd of limited accounts only ever costs a database check each.
  if (accounts.size >= 10_000) accounts.clear();
  accounts.set(user.id, { ...check, until: ctx.now() + check.retryAfterSeconds * 1000 });
}

function audit(ctx: AppContext, req: Request, user: User, type: AuditType): Promise<void> {
  const sessionId = req.res?.locals.auth?.sid ?? null;
  return recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type, userId: user.id, sessionId, detail: { path: req.path } }));
}

/**
 * The signed-in user's current password, typed again to confirm something (deleting the account,
 * a new password, a new email, two-step changes, step-up). It is one try of the account's
 * failed-sign-in limit, taken before the check and given back when right; past the limit nothing
 * is checked and the answer is `limited` (429 + Retry-After). The address is not counted: nobody
 * signed in may lock out the others behind the same address (DESIGN §8).
 */
export async function checkCurrentPassword(ctx: AppContext, req: Request, user: User, password: string): Promise<CurrentPasswordCheck> {
  if (password === '') return { kind: 'wrong', message: 'Enter your current password.' };
  const remembered = rememberedLimit(ctx, user);
  if (remembered) {
    logAudit(ctx.logger, auditEvent(ctx, req, { type: AUDIT.passwordCheckLimited, userId: user.id, detail: { path: req.path } }));
    return remembered;
  }
  let tried: SignInTry<boolean>;
  try {
    tried = await withSignInTry(
      ctx,
      user.email,
      () => verifyPassword(ctx.passwords, password, user.passwordHash, user.id),
      (ok) => ok,
    );
  } catch (error) {
    // The account already has its share of the bcrypt queue in flight (a flood of guesses).
    if (!(error instanceof AppError && error.status === 429)) throw error;
    await audit(ctx, req, user, AUDIT.passwordCheckLimited);
    return limited(ACCOUNT_BUSY_RETRY_SECONDS, error.message);
  }
  if (tried.kind === 'limited') {
    const wait = tried.retryAfterSeconds;
    const check = limited(wait, `Too many wrong passwords for this account. Please wait ${waitPhrase(wait)} and try again.`);
    rememberLimit(ctx, user, check);
    await audit(ctx, req, user, AUDIT.passwordCheckLimited);
    return check;
  }
  if (tried.result) return { kind: 'ok' };
  await audit(ctx, req, user, AUDIT.passwordCheckFailed);
  return { kind: 'wrong', message: WRONG_CURRENT };
}

/**
 * The answer to a `limited` check: Retry-After on `res`, and a 429 for the error page to render.
 * A plain page rather than the form: a flood of refused guesses must cost next to nothing.
 */
export function limitedAnswer(res: Response, check: { retryAfterSeconds: number; message: string }, addition = ''): AppError {
  res.set('Retry-After', String(check.retryAfterSeconds));
  return new AppError(429, 'rate_limited', `${check.message}${addition}`);
}

// How long the cost of the stored hashes is trusted before it is read again.
const STORED_COST_TTL_MS = 10 * 60 * 1000;
const storedCosts = new WeakMap<object, { cost: number; until: number }>();

/** The cost most stored hashes have: what a wrong password of a real account costs to check. */
export async function storedHashCost(ctx: AppContext): Promise<number> {
  const known = storedCosts.get(ctx.passwords);
  if (known && known.until > ctx.now()) return known.cost;
  const { rows } = await ctx.db.query<{ cost: number }>(
    `SELECT substring(password_hash from 5 for 2)::int AS cost FROM users
      WHERE password_hash ~ '^\\$2[aby]\\$[0-9]{2}\\$' GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1`,
  );
  const cost = rows[0]?.cost ?? ctx.passwords.rounds;
  storedCosts.set(ctx.passwords, { cost, until: ctx.now() + STORED_COST_TTL_MS });
  return cost;
}

/** The sign-in check: the user's hash, or for an unknown email a dummy hash at the stored cost. */
export async function verifySignInPassword(ctx: AppContext, email: string, user: User | undefined, password: string): Promise<boolean> {
  if (user) return verifyPassword(ctx.passwords, password, user.passwordHash, user.id);
  return verifyAgainstNothing(ctx.passwords, password, `email:${normaliseEmail(email)}`, await storedHashCost(ctx));
}

/**
 * After a successful sign-in: a hash made at another cost than BCRYPT_ROUNDS is made again at it
 * (as Django and Devise do), so lowering or raising the cost reaches every account that signs in.
 * A failure is logged and tried again at the next sign-in; it never fails the sign-in.
 */
export async function upgradePasswordHash(ctx: AppContext, user: User, password: string): Promise<void> {
  if (user.passwordHash === null) return;
  const stored = user.passwordHash;
  const cost = hashCost(stored);
  if (cost === ctx.passwords.rounds) return;
  try {
    const hashed = await hashPassword(ctx.passwords, password, user.id);
    if (await replacePasswordHash(ctx.db, user.id, stored, hashed)) {
      ctx.logger.info({ userId: user.id, from: cost, to: ctx.passwords.rounds }, 'password re-hashed at the configured cost');
    }
  } catch (error) {
    ctx.logger.warn({ err: error, userId: user.id }, 'password could not be re-hashed; will try at the next sign-in');
  }
}
