// The second factor as one check (an authenticator code, or else one of the recovery codes), counted
// as one try of the account's failed-sign-in limit; handed to the sign-in flow by createApp as `totpFactor`.
import type { Request } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { withSignInTry } from '../auth/sign-in-failures.js';
import { auditEvent, clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import { waitPhrase } from '../http/rate-limit.js';
import type { SecondFactor } from '../sign-in/methods.js';
import { removeRecoveryCodes, useRecoveryCode } from './recovery-codes.js';
import { isTotpEnabled, removeTotp, useTotpCode } from './totp.js';

/** `reused`: a current authenticator code already spent, which the person is told plainly. */
export type CodeCheck = { kind: 'totp' } | { kind: 'recovery_code'; left: number } | { kind: 'wrong'; reused?: true };

export const REUSED_CODE =
  'That code was already used: each code works once. Wait for your authenticator app to show the next one (every 30 seconds) and enter that.';
export type CodesLimited = { kind: 'limited'; retryAfterSeconds: number; message: string };
export type CountedCodeCheck = CodeCheck | CodesLimited;
type Deps = Pick<AppContext, 'db' | 'secretBox' | 'now' | 'rateLimits'>;

/** Spends `code` if it is right: each authenticator time step and each recovery code works once. */
export async function useSecondFactor(
  ctx: Pick<AppContext, 'db' | 'secretBox' | 'now'>,
  userId: string,
  input: string,
): Promise<CodeCheck> {
  const code = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(code)) {
    const use = await useTotpCode(ctx.db, ctx.secretBox, userId, code, ctx.now());
    return use === 'ok' ? { kind: 'totp' } : use === 'reused' ? { kind: 'wrong', reused: true } : { kind: 'wrong' };
  }
  const left = await useRecoveryCode(ctx.db, userId, input, new Date(ctx.now()));
  return left === undefined ? { kind: 'wrong' } : { kind: 'recovery_code', left };
}

/** Wrong codes and wrong passwords count against the one failed-sign-in limit of the account. */
function codesLimited(retryAfterSeconds: number): CodesLimited {
  const message = `Too many wrong passwords or codes for this account. Please wait ${waitPhrase(retryAfterSeconds)} and try again.`;
  return { kind: 'limited', retryAfterSeconds, message };
}

/**
 * The code as one try of the account's failed-sign-in limit (DESIGN §8): taken before the check,
 * given back when right; past the limit nothing is checked.
 */
export async function checkSecondFactor(ctx: Deps, user: { id: string; email: string }, input: string): Promise<CountedCodeCheck> {
  const tried = await withSignInTry(
    ctx,
    user.email,
    () => useSecondFactor(ctx, user.id, input),
    (factor) => factor.kind !== 'wrong',
  );
  return tried.kind === 'limited' ? codesLimited(tried.retryAfterSeconds) : tried.result;
}

/** The first code of an authenticator being set up, counted as checkSecondFactor counts it. */
export async function checkSetupCode(ctx: Deps, user: { id: string; email: string }, input: string): Promise<CountedCodeCheck> {
  const code = input.replace(/\s/g, '');
  const tried = await withSignInTry(
    ctx,
    user.email,
    () => useTotpCode(ctx.db, ctx.secretBox, user.id, code, ctx.now()),
    (use) => use === 'ok',
  );
  if (tried.kind === 'limited') return codesLimited(tried.retryAfterSeconds);
  return tried.result === 'ok' ? { kind: 'totp' } : tried.result === 'reused' ? { kind: 'wrong', reused: true } : { kind: 'wrong' };
}

/** A used recovery code is recorded, its owner emailed, and the person told how many are left. */
async function noteRecoveryCode(ctx: AppContext, req: Request, userId: string, left: number): Promise<string> {
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.recoveryCodeUsed, userId, detail: { left } }));
  ctx.events.emit({ kind: 'recovery_code_used', userId, ...clientInfo(req), codesLeft: left });
  return `You used a recovery code; ${left === 0 ? 'none are left: make new ones on your account page now' : `${left} left`}.`;
}

export const totpFactor: SecondFactor = {
  isEnabled: (ctx, userId) => isTotpEnabled(ctx.db, userId),
  async check(ctx, req, user, code) {
    const used = await checkSecondFactor(ctx, user, code);
    if (used.kind === 'limited') return used;
    if (used.kind === 'wrong') return used.reused ? { kind: 'wrong', message: REUSED_CODE } : { kind: 'wrong' };
    if (used.kind === 'totp') return { kind: 'passed', name: 'totp' };
    return { kind: 'passed', name: 'recovery_code', notice: await noteRecoveryCode(ctx, req, user.id, used.left) };
  },
  async removeAll(_ctx, tx, userId) {
    const enabled = await isTotpEnabled(tx, userId);
    await removeTotp(tx, userId);
    await removeRecoveryCodes(tx, userId);
    return { removed: enabled ? ['two-step sign-in (the authenticator app and its recovery codes)'] : [], detail: { two_factor: enabled } };
  },
};
