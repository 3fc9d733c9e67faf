// Proving the mailbox takes the account back (docs/security.md): the first time an account's
// address is proved, the ways in added while it was unproved are removed unless the person proving
// it holds them. An address is never unproved again once proved, so those are all the account has.
import { AUDIT, recordAudit } from '../audit.js';
import type { ClientInfo } from '../auth/sessions.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { removeRecoveryCodes } from '../mfa/recovery-codes.js';
import { removeTotp } from '../mfa/totp.js';
import { endPendingSignIns } from './pending.js';

type Deps = Pick<AppContext, 'config' | 'logger'>;

/**
 * Inside the caller's transaction. Marks the address proved at `at`; when it was unproved until now
 * and `keepWaysIn` is false (the prover showed none of them), removes every passkey, linked
 * provider account and authenticator app, and ends pending sign-ins. Answers what was removed, in
 * words for the owner's email; empty when the address was proved before or nothing was there.
 */
export async function proveMailbox(
  deps: Deps,
  tx: Queryable,
  proof: { userId: string; at: Date; client: ClientInfo; keepWaysIn: boolean },
): Promise<string[]> {
  const { userId, at } = proof;
  const user = await tx.query<{ verified: boolean }>(
    'SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1 FOR UPDATE',
    [userId],
  );
  if (!user.rows[0] || user.rows[0].verified) return [];
  await tx.query('UPDATE users SET email_verified_at = $2 WHERE id = $1', [userId, at]);
  if (proof.keepWaysIn) return [];

  const passkeys = await tx.query<{ name: string }>('DELETE FROM webauthn_credentials WHERE user_id = $1 RETURNING name', [userId]);
  const identities = await tx.query<{ email: string | null }>('DELETE FROM user_identities WHERE user_id = $1 RETURNING email', [userId]);
  const totp = await tx.query<{ enabled: boolean }>('SELECT enabled_at IS NOT NULL AS enabled FROM totp_credentials WHERE user_id = $1', [
    userId,
  ]);
  await removeTotp(tx, userId);
  await removeRecoveryCodes(tx, userId);
  await endPendingSignIns(tx, userId, at);

  const provider = deps.config.oidc?.providerName ?? 'single sign-on';
  const removed = [
    ...passkeys.rows.map((p) => `the passkey "${p.name}"`),
    ...identities.rows.map((i) => `sign-in with ${provider}${i.email ? ` (${i.email})` : ''}`),
    ...(totp.rows[0]?.enabled ? ['two-step sign-in (the authenticator app and its recovery codes)'] : []),
  ];
  if (removed.length > 0) {
    const detail = { passkeys: passkeys.rowCount, identities: identities.rowCount, two_factor: Boolean(totp.rows[0]?.enabled) };
    await recordAudit(tx, deps.logger, { type: AUDIT.waysInRemoved, userId, ...proof.client, at, detail });
  }
  return removed;
}
