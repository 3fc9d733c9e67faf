// After a passkey is added: the audit row, and the one place the owner's security email joins.
import type { Request } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { auditEvent } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { Passkey } from './credentials.js';

/** Every way a passkey is added (from /account, or when a passkey-only account is made) calls this once. */
export async function passkeyAdded(ctx: AppContext, req: Request, userId: string, passkey: Passkey, sessionId?: string): Promise<void> {
  const details = { name: passkey.name, synced: passkey.deviceType === 'multiDevice' };
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.passkeyAdded, userId, sessionId, detail: details }));
}
