// WebAuthn challenges: random, one per ceremony, kept only as a digest, spent once, gone in minutes.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/db.js';

export type Ceremony = 'sign_in' | 'register' | 'add' | 'confirm';

/** A ceremony is one touch of a fingerprint reader; five minutes covers finding the phone. */
export const CHALLENGE_TTL_SECONDS = 300;

/** Who the challenge was handed to: the signed-in user (add, confirm), or the account about to be made (register). */
export interface ChallengeBinding {
  userId: string | null;
  newUserId: string | null;
  email: string | null;
}

const digest = (challenge: string) => createHash('sha256').update(challenge).digest('base64url');

export async function storeChallenge(
  db: Queryable,
  ceremony: Ceremony,
  challenge: string,
  binding: Partial<ChallengeBinding>,
  nowMs: number,
): Promise<void> {
  await db.query(
    `INSERT INTO webauthn_challenges (challenge_hash, ceremony, user_id, new_user_id, email, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      digest(challenge),
      ceremony,
      binding.userId ?? null,
      binding.newUserId ?? null,
      binding.email ?? null,
      new Date(nowMs + CHALLENGE_TTL_SECONDS * 1000),
    ],
  );
}

/**
 * Spends the challenge a response answers, in one statement: only if it was handed out for this
 * ceremony, is not used and has not expired. Undefined otherwise (unknown, replayed or expired).
 */
export async function spendChallenge(
  db: Queryable,
  ceremony: Ceremony,
  challenge: string,
  nowMs: number,
): Promise<ChallengeBinding | undefined> {
  const at = new Date(nowMs);
  const result = await db.query<ChallengeBinding>(
    `UPDATE webauthn_challenges SET used_at = $3
      WHERE challenge_hash = $1 AND ceremony = $2 AND used_at IS NULL AND expires_at > $3
      RETURNING user_id AS "userId", new_user_id AS "newUserId", email`,
    [digest(challenge), ceremony, at],
  );
  return result.rows[0];
}

export async function pruneChallenges(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM webauthn_challenges WHERE expires_at < $1', [before])).rowCount;
}
