// The email_links table: single-use links that prove an address (verify the account's own, or
// confirm a new one), stored only as a hash of their secret.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { reserveHit } from '../http/rate-limit-postgres.js';
import { isUuid } from '../uuid.js';

/** DESIGN §13: a verification link works for 24 hours. */
export const EMAIL_LINK_TTL_SECONDS = 24 * 3600;
/** At most this many links per account per hour (resends and change requests together), counted here so every process agrees. */
export const EMAIL_LINK_CAP = { limit: 3, windowSeconds: 3600 };
/**
 * At most this many change-of-email links to one address per hour, whichever accounts ask: the
 * account cap alone let many accounts flood an outside mailbox. Counted in rate_limits (the address
 * belongs to no user yet), taken in the link's transaction, so a refused or failed link costs none.
 */
export const EMAIL_LINK_RECIPIENT_CAP = { limit: 3, windowSeconds: 3600 };

export type EmailLinkPurpose = 'verify' | 'change';

// `<user id>.<base64url of 32 random bytes>`: the id lets every query name the user (DESIGN §10).
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface EmailLinkParts {
  userId: string;
  secretHash: string;
}

export interface UsedEmailLink {
  purpose: EmailLinkPurpose;
  email: string;
  sessionId: string | null;
}

/** `capped`: the account asked too often this hour, or (`address`) the new address was sent too many. */
export type EmailLinkRequest =
  | { kind: 'created'; token: string }
  | { kind: 'capped'; retryAfterSeconds: number; scope: 'account' | 'address' };

export function parseEmailLinkToken(token: string): EmailLinkParts | undefined {
  const [userId, secret, ...rest] = token.split('.');
  if (rest.length > 0 || !isUuid(userId) || !secret || !SECRET_SHAPE.test(secret)) return undefined;
  return { userId, secretHash: hashSecret(secret) };
}

/**
 * A new link for `email`, unless the account reached its hourly cap (or, for a change, the address
 * reached its own). Older unused links of the same purpose die, so only the newest link works. Run
 * inside a transaction.
 */
export async function createEmailLink(
  tx: Queryable,
  link: { userId: string; purpose: EmailLinkPurpose; email: string; sessionId?: string },
  at: Date,
): Promise<EmailLinkRequest> {
  const { userId, purpose } = link;
  const windowStart = new Date(at.getTime() - EMAIL_LINK_CAP.windowSeconds * 1000);
  // Serialises requests for one account, so two at once cannot both slip under the cap.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smriti:email-link:${userId}`]);
  const recent = await tx.query<{ n: number; oldest: Date | null }>(
    `SELECT count(*)::int AS n, min(created_at) AS oldest FROM email_links WHERE user_id = $1 AND created_at > $2`,
    [userId, windowStart],
  );
  const { n, oldest } = recent.rows[0]!;
  if (n >= EMAIL_LINK_CAP.limit) {
    const freeAt = new Date(oldest!).getTime() + EMAIL_LINK_CAP.windowSeconds * 1000;
    return { kind: 'capped', scope: 'account', retryAfterSeconds: Math.max(1, Math.ceil((freeAt - at.getTime()) / 1000)) };
  }
  if (purpose === 'change') {
    const sent = await reserveHit(tx, 'email_link_to', link.email.trim().toLowerCase(), at.getTime(), EMAIL_LINK_RECIPIENT_CAP);
    if (sent.kind === 'limited') return { kind: 'capped', scope: 'address', retryAfterSeconds: sent.retryAfterSeconds };
  }
  await tx.query(`UPDATE email_links SET revoked_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND revoked_at IS NULL`, [
    userId,
    purpose,
    at,
  ]);
  const secret = randomBytes(32).toString('base64url');
  await tx.query(
    `INSERT INTO email_links (user_id, purpose, email, token_hash, session_id, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [userId, purpose, link.email, hashSecret(secret), link.sessionId ?? null, at, new Date(at.getTime() + EMAIL_LINK_TTL_SECONDS * 1000)],
  );
  return { kind: 'created', token: `${userId}.${secret}` };
}

/** Spends the link if it is unused, unrevoked and unexpired; of two requests racing with one link, one wins. */
export async function consumeEmailLink(tx: Queryable, parts: EmailLinkParts, at: Date): Promise<UsedEmailLink | undefined> {
  const result = await tx.query<UsedEmailLink>(
    `UPDATE email_links SET used_at = $3
      WHERE user_id = $1 AND token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
      RETURNING purpose, email, session_id AS "sessionId"`,
    [parts.userId, parts.secretHash, at],
  );
  return result.rows[0];
}

/** The address a used verification link proved, when the account still has it and it is verified. */
export async function verifiedByUsedLink(db: Queryable, parts: EmailLinkParts): Promise<string | undefined> {
  const result = await db.query<{ email: string }>(
    `SELECT u.email FROM email_links l JOIN users u ON u.id = l.user_id
      WHERE l.user_id = $1 AND l.token_hash = $2 AND l.purpose = 'verify' AND l.used_at IS NOT NULL
        AND u.email_verified_at IS NOT NULL AND lower(u.email) = lower(l.email)`,
    [parts.userId, parts.secretHash],
  );
  return result.rows[0]?.email;
}

/** The address a change of email is waiting on, if a link for it is still out. */
export async function pendingEmailChange(db: Queryable, userId: string, at: Date): Promise<string | undefined> {
  const result = await db.query<{ email: string }>(
    `SELECT email FROM email_links
      WHERE user_id = $1 AND purpose = 'change' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
      ORDER BY created_at DESC LIMIT 1`,
    [userId, at],
  );
  return result.rows[0]?.email;
}

/** Kills every outstanding link of the user (the address changed: links to the old one are stale). */
export async function revokeEmailLinks(tx: Queryable, userId: string, at: Date): Promise<void> {
  await tx.query(`UPDATE email_links SET revoked_at = $2 WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL`, [userId, at]);
}

/** Links past their expiry and outside the cap's window are of no use; the hourly pruner removes them. */
export async function pruneEmailLinks(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM email_links WHERE expires_at < $1 AND created_at < $1', [before])).rowCount;
}
