// The password_resets table: single-use, expiring reset links, stored only as a hash of their secret.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import type { Limit } from '../http/rate-limit.js';
import { isUuid } from '../uuid.js';

// A link's token is `<user id>.<base64url of 32 random bytes>`; the id lets every query name the user.
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface ResetTokenParts {
  userId: string;
  secretHash: string;
}

export type ResetRequestOutcome = { kind: 'created'; token: string; expiresAt: Date } | { kind: 'capped' } | { kind: 'no_account' };

export interface ResetRequest {
  at: Date;
  ttlSeconds: number;
  /** At most this many links per window for one account, counted here so every process agrees. */
  cap: Limit;
  ip: string | null;
}

// Only this digest is stored: a leaked table gives no working link.
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function parseResetToken(token: string): ResetTokenParts | undefined {
  const [userId, secret, ...rest] = token.split('.');
  if (rest.length > 0 || !isUuid(userId) || !secret || !SECRET_SHAPE.test(secret)) return undefined;
  return { userId, secretHash: hashSecret(secret) };
}

/**
 * Creates a link for the user, unless the cap is reached. With no account (`userId` undefined)
 * the same statements run for an id no user has, so the answer takes as long either way.
 */
export async function requestPasswordReset(tx: Queryable, userId: string | undefined, request: ResetRequest): Promise<ResetRequestOutcome> {
  const subject = userId ?? randomUUID();
  const { at, cap } = request;
  const windowStart = new Date(at.getTime() - cap.windowSeconds * 1000);
  // Serialises requests for one account, so two at once cannot both slip under the cap.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smriti:reset:${subject}`]);
  // Old links are of no use once past their expiry and the cap's window; each request tidies its own.
  await tx.query(`DELETE FROM password_resets WHERE user_id = $1 AND expires_at < $2 AND created_at < $3`, [subject, at, windowStart]);
  const recent = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1 AND created_at > $2`, [
    subject,
    windowStart,
  ]);
  if (userId === undefined) return { kind: 'no_account' };
  if (recent.rows[0]!.n >= cap.limit) return { kind: 'capped' };

  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(at.getTime() + request.ttlSeconds * 1000);
  await tx.query(`INSERT INTO password_resets (user_id, token_hash, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5)`, [
    userId,
    hashSecret(secret),
    at,
    expiresAt,
    request.ip,
  ]);
  return { kind: 'created', token: `${userId}.${secret}`, expiresAt };
}

const USABLE = `user_id = $1 AND token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3`;

/** True while the link is unused, unrevoked and unexpired; nothing changes. */
export async function isResetUsable(db: Queryable, parts: ResetTokenParts, at: Date): Promise<boolean> {
  const result = await db.query(`SELECT 1 FROM password_resets WHERE ${USABLE}`, [parts.userId, parts.secretHash, at]);
  return result.rows.length > 0;
}

/** Marks the link used if it still is usable; of two requests racing with one link, one wins. */
export async function consumeReset(tx: Queryable, parts: ResetTokenParts, at: Date): Promise<boolean> {
  const result = await tx.query(`UPDATE password_resets SET used_at = $3 WHERE ${USABLE}`, [parts.userId, parts.secretHash, at]);
  return result.rowCount > 0;
}

/** Kills every outstanding link of the user (after a reset or a password change). */
export async function revokeResets(tx: Queryable, userId: string, at: Date): Promise<number> {
  const result = await tx.query(
    `UPDATE password_resets SET revoked_at = $2 WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL`,
    [userId, at],
  );
  return result.rowCount;
}

/** Links past their expiry and created before `before` (the mail cap's window) are of no use; the hourly pruner removes them. */
export async function prunePasswordResets(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM password_resets WHERE expires_at < $1 AND created_at < $1', [before])).rowCount;
}
