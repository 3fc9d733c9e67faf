// Counts failed sign-ins per account in the database, so the limit holds across app processes. A
// check takes its try before the password or code is checked and gives it back when it was right,
// so concurrent guesses can never pass the limit (DESIGN §8).
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { retryAfterSeconds } from '../http/rate-limit.js';
import { normaliseEmail } from './users.js';

// One statement: ON CONFLICT locks the account's row, so concurrent tries queue on it. A window
// restarts when it has closed, or when nothing is counted in it (every try so far was right).
const TAKE_SQL = `INSERT INTO sign_in_failure_counts AS f (email, failures, reset_at) VALUES ($1, 1, $3)
  ON CONFLICT (email) DO UPDATE SET
    failures = CASE WHEN f.reset_at <= $2 OR f.failures <= 0 THEN 1 ELSE f.failures + 1 END,
    reset_at = CASE WHEN f.reset_at <= $2 OR f.failures <= 0 THEN $3 ELSE f.reset_at END
  WHERE f.reset_at <= $2 OR f.failures < $4
  RETURNING failures`;

type Settings = Pick<AppContext, 'db' | 'now' | 'rateLimits'>;

/** Takes one try of the account's limit: 0 when taken, else the seconds until the account may try again. */
async function takeSignInTry(ctx: Settings, email: string): Promise<number> {
  const now = ctx.now();
  const { limit, windowSeconds } = ctx.rateLimits.failedSignInsPerAccount;
  const key = normaliseEmail(email);
  const taken = await ctx.db.query(TAKE_SQL, [key, new Date(now), new Date(now + windowSeconds * 1000), limit]);
  if (taken.rowCount === 1) return 0;
  const { rows } = await ctx.db.query<{ reset_at: Date }>(`SELECT reset_at FROM sign_in_failure_counts WHERE email = $1`, [key]);
  return retryAfterSeconds(rows[0]?.reset_at, now);
}

async function giveBackSignInTry(ctx: Settings, email: string): Promise<void> {
  await ctx.db.query(`UPDATE sign_in_failure_counts SET failures = failures - 1 WHERE email = $1 AND reset_at > $2 AND failures > 0`, [
    normaliseEmail(email),
    new Date(ctx.now()),
  ]);
}

export type SignInTry<T> = { kind: 'limited'; retryAfterSeconds: number } | { kind: 'checked'; result: T };

/**
 * Runs `check` (a password or code of the account behind `email`) as one try of the account's
 * failure limit: taken before it runs, given back when `passed` says it was right or when nothing
 * was checked (it threw). Past the limit nothing is checked.
 */
export async function withSignInTry<T>(
  ctx: Settings,
  email: string,
  check: () => Promise<T>,
  passed: (result: T) => boolean,
): Promise<SignInTry<T>> {
  const blockedFor = await takeSignInTry(ctx, email);
  if (blockedFor > 0) return { kind: 'limited', retryAfterSeconds: blockedFor };
  let result: T;
  try {
    result = await check();
  } catch (error) {
    await giveBackSignInTry(ctx, email);
    throw error;
  }
  if (passed(result)) await giveBackSignInTry(ctx, email);
  return { kind: 'checked', result };
}

export async function clearSignInFailures(db: Queryable, email: string): Promise<void> {
  await db.query(`DELETE FROM sign_in_failure_counts WHERE email = $1`, [normaliseEmail(email)]);
}

/** Counters whose window has closed are only restarted in place; the hourly pruner removes them. */
export async function pruneSignInFailures(db: Queryable, now: Date): Promise<number> {
  return (await db.query(`DELETE FROM sign_in_failure_counts WHERE reset_at <= $1`, [now])).rowCount;
}
