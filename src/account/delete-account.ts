// Deleting an account: every row of the user, in the caller's transaction, sessions revoked first.
import { endSessions } from '../auth/sessions.js';
import { clearSignInFailures } from '../auth/sign-in-failures.js';
import type { Queryable } from '../db/db.js';

export interface DeletedAccount {
  entries: number;
  sessions: number;
}

// Each table by name rather than by ON DELETE CASCADE: every statement names the user, so the
// deletion stays on the user's shard when these tables are distributed by user_id.
const USER_TABLES = [
  'user_devices',
  'photos',
  'entries',
  'password_resets',
  'email_links',
  'user_identities',
  'audit_events',
  'refresh_tokens',
  'totp_credentials',
  'recovery_codes',
  'pending_sign_ins',
] as const;

export async function deleteAccount(tx: Queryable, userId: string, email: string, at: Date): Promise<DeletedAccount> {
  // Revoked before the user row goes, so the revocation reaches the sessions' access tokens too.
  const sessions = (await endSessions(tx, userId, 'account_deleted', at, { keep: null })).length;
  const counts: Record<string, number> = {};
  for (const table of USER_TABLES) {
    counts[table] = (await tx.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId])).rowCount;
  }
  await clearSignInFailures(tx, email);
  await tx.query(`DELETE FROM users WHERE id = $1`, [userId]);
  return { entries: counts.entries ?? 0, sessions };
}
