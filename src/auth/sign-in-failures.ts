// Counts failed sign-ins per account in the database, so the limit holds across app processes.
import type { Queryable } from '../db/db.js';
import type { Limit } from '../http/rate-limit.js';
import { normaliseEmail } from './users.js';

/** Seconds until the account may try again, or 0 when it may try now. */
export async function signInBlockedFor(db: Queryable, email: string, limit: Limit, now: number): Promise<number> {
  const windowStart = new Date(now - limit.windowSeconds * 1000);
  const result = await db.query<{ failures: number; oldest: Date | null }>(
    `SELECT count(*)::int AS failures, min(failed_at) AS oldest FROM sign_in_failures WHERE email = $1 AND failed_at > $2`,
    [normaliseEmail(email), windowStart],
  );
  const { failures, oldest } = result.rows[0]!;
  if (failures < limit.limit || !oldest) return 0;
  return Math.max(1, Math.ceil((oldest.getTime() + limit.windowSeconds * 1000 - now) / 1000));
}

export async function recordSignInFailure(db: Queryable, email: string, now: number): Promise<void> {
  await db.query(`INSERT INTO sign_in_failures (email, failed_at) VALUES ($1, $2)`, [normaliseEmail(email), new Date(now)]);
}

export async function clearSignInFailures(db: Queryable, email: string): Promise<void> {
  await db.query(`DELETE FROM sign_in_failures WHERE email = $1`, [normaliseEmail(email)]);
}

/** Rows older than any window are useless; the hourly pruner removes them. */
export async function pruneSignInFailures(db: Queryable, before: Date): Promise<number> {
  return (await db.query(`DELETE FROM sign_in_failures WHERE failed_at < $1`, [before])).rowCount;
}
