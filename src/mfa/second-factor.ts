// The second factor as one check: an authenticator code, or else one of the recovery codes.
import type { AppContext } from '../context.js';
import { useRecoveryCode } from './recovery-codes.js';
import { useTotpCode } from './totp.js';

export type SecondFactorCheck = { kind: 'totp' } | { kind: 'recovery_code'; left: number } | { kind: 'wrong' };

/** Spends `code` if it is right: each authenticator time step and each recovery code works once. */
export async function useSecondFactor(
  ctx: Pick<AppContext, 'db' | 'secretBox' | 'now'>,
  userId: string,
  input: string,
): Promise<SecondFactorCheck> {
  const code = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(code))
    return (await useTotpCode(ctx.db, ctx.secretBox, userId, code, ctx.now())) ? { kind: 'totp' } : { kind: 'wrong' };
  const left = await useRecoveryCode(ctx.db, userId, input, new Date(ctx.now()));
  return left === undefined ? { kind: 'wrong' } : { kind: 'recovery_code', left };
}
