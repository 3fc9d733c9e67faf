// The user_identities table: accounts at the OpenID Connect provider, linked to Smriti accounts.
import type { Queryable } from '../db/db.js';

export interface LinkedIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** The account an identity is linked to, if any; a sign-in notes when it was last used. */
export async function findIdentityOwner(db: Queryable, issuer: string, subject: string): Promise<string | undefined> {
  const result = await db.query<{ userId: string }>('SELECT user_id AS "userId" FROM user_identities WHERE issuer = $1 AND subject = $2', [
    issuer,
    subject,
  ]);
  return result.rows[0]?.userId;
}

export async function noteIdentityUsed(db: Queryable, userId: string, issuer: string, subject: string, at: Date): Promise<void> {
  await db.query('UPDATE user_identities SET last_used_at = $4 WHERE user_id = $1 AND issuer = $2 AND subject = $3', [
    userId,
    issuer,
    subject,
    at,
  ]);
}

/** False when the identity is linked already (to this account or another): the first link wins. */
export async function linkIdentity(
  db: Queryable,
  identity: { userId: string; issuer: string; subject: string; email: string | null },
  at: Date,
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO user_identities (issuer, subject, user_id, email, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (issuer, subject) DO NOTHING`,
    [identity.issuer, identity.subject, identity.userId, identity.email, at],
  );
  return result.rowCount === 1;
}

export async function listIdentities(db: Queryable, userId: string): Promise<LinkedIdentity[]> {
  const result = await db.query<LinkedIdentity>(
    `SELECT issuer, subject, email, created_at AS "createdAt", last_used_at AS "lastUsedAt"
       FROM user_identities WHERE user_id = $1 ORDER BY created_at`,
    [userId],
  );
  return result.rows;
}

export async function unlinkIdentity(db: Queryable, userId: string, issuer: string, subject: string): Promise<boolean> {
  const result = await db.query('DELETE FROM user_identities WHERE user_id = $1 AND issuer = $2 AND subject = $3', [
    userId,
    issuer,
    subject,
  ]);
  return result.rowCount === 1;
}

/** Every provider identity of the account, unlinked; answers the address each one had there. */
export async function unlinkAllIdentities(db: Queryable, userId: string): Promise<Array<string | null>> {
  return (await db.query<{ email: string | null }>('DELETE FROM user_identities WHERE user_id = $1 RETURNING email', [userId])).rows.map(
    (i) => i.email,
  );
}
