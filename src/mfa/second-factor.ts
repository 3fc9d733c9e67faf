// The second factor as one check: an authenticator code, or else one of the recovery codes. Handed
// to the sign-in flow by createApp as `totpFactor`.
import type { Request } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import type { SecondFactor } from '../sign-in/methods.js';
import { removeRecoveryCodes, useRecoveryCode } from './recovery-codes.js';
import { isTotpEnabled, removeTotp, useTotpCode } from './totp.js';

export type CodeCheck = { kind: 'totp' } | { kind: 'recovery_code'; left: number } | { kind: 'wrong' };

/** Spends `code` if it is right: each authenticator time step and each recovery code works once. */
export async function useSecondFactor(
  ctx: Pick<AppContext, 'db' | 'secretBox' | 'now'>,
  userId: string,
  input: string,
): Promise<CodeCheck> {
  const code = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(code))
    return (await useTotpCode(ctx.db, ctx.secretBox, userId, code, ctx.now())) ? { kind: 'totp' } : { kind: 'wrong' };
  const left = await useRecoveryCode(ctx.db, userId, input, new Date(ctx.now()));
  return left === undefined ? { kind: 'wrong' } : { kind: 'recovery_code', left };
}

/** A used recovery code is recorded, and the person is told how many are left. */
async function noteRecoveryCode(ctx: AppContext, req: Request, userId: string, left: number): Promise<string> {
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.recoveryCodeUsed, userId, detail: { left } }));
  return `You used a recovery code; ${left === 0 ? 'none are left: make new ones on your account page now' : `${left} left`}.`;
}

export const totpFactor: SecondFactor = {
  isEnabled: (ctx, userId) => isTotpEnabled(ctx.db, userId),
  async check(ctx, req, userId, code) {
    const used = await useSecondFactor(ctx, userId, code);
    if (used.kind === 'wrong') return used;
    if (used.kind === 'totp') return { kind: 'passed', name: 'totp' };
    return { kind: 'passed', name: 'recovery_code', notice: await noteRecoveryCode(ctx, req, userId, used.left) };
  },
  async removeAll(_ctx, tx, userId) {
    const enabled = await isTotpEnabled(tx, userId);
    await removeTotp(tx, userId);
    await removeRecoveryCodes(tx, userId);
    return { removed: enabled ? ['two-step sign-in (the authenticator app and its recovery codes)'] : [], detail: { two_factor: enabled } };
  },
};
