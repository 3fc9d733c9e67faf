// Proving the mailbox takes the account back (docs/security.md): the first time an account's
// address is proved, the ways in added while it was unproved are removed unless the person proving
// it holds them. An address is never unproved again once proved, so those are all the account has.
import { AUDIT, recordAudit } from '../audit.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import type { MailboxProof, RemoveAll } from './methods.js';
import { endPendingSignIns } from './pending.js';

/**
 * Marks the address proved at `at`; when it was unproved until now and the prover showed none of
 * its ways in, each registered way in and factor removes its credentials, and pending sign-ins end.
 * Answers what was removed, in words for the owner's email; empty when the address was proved
 * before or nothing was there.
 */
export async function proveMailbox(ctx: AppContext, removers: readonly RemoveAll[], tx: Queryable, proof: MailboxProof): Promise<string[]> {
  const { userId, at } = proof;
  const user = await tx.query<{ verified: boolean }>(
    'SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1 FOR UPDATE',
    [userId],
  );
  if (!user.rows[0] || user.rows[0].verified) return [];
  await tx.query('UPDATE users SET email_verified_at = $2 WHERE id = $1', [userId, at]);
  if (proof.keepWaysIn) return [];

  const removals = [];
  for (const removeAll of removers) removals.push(await removeAll(ctx, tx, userId));
  await endPendingSignIns(tx, userId, at);
  const removed = removals.flatMap((r) => r.removed);
  if (removed.length > 0) {
    const detail = Object.assign({}, ...removals.map((r) => r.detail));
    await recordAudit(tx, ctx.logger, { type: AUDIT.waysInRemoved, userId, ...proof.client, at, detail });
  }
  return removed;
}
