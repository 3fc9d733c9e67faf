// After a passkey is added: the audit row, and the one place the owner's security email joins.
import type { Request } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { auditEvent, clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { Passkey } from './credentials.js';

/** Every way a passkey is added (from /account, or when a passkey-only account is made) calls this once. */
export async function passkeyAdded(
  ctx: AppContext,
  req: Request,
  userId: string,
  passkey: Passkey,
  sessionId?: string,
  options: { newAccount?: boolean } = {},
): Promise<void> {
  const details = { name: passkey.name, synced: passkey.deviceType === 'multiDevice' };
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.passkeyAdded, userId, sessionId, detail: details }));
  // The owner is told of a passkey added to an existing account; one made with it is news to nobody.
  if (!options.newAccount) ctx.events.emit({ kind: 'passkey_added', userId, ...clientInfo(req), passkeyName: passkey.name });
}
