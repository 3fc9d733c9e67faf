// The second factor as one check: an authenticator code, or else one of the recovery codes.
import type { AppContext } from '../context.js';
import { useRecoveryCode } from './recovery-codes.js';
import { useTotpCode } from './totp.js';

/** `reused`: a current authenticator code already spent, which the person is told plainly. */
export type SecondFactorCheck = { kind: 'totp' } | { kind: 'recovery_code'; left: number } | { kind: 'wrong'; reused?: true };

export const REUSED_CODE =
  'That code was already used: each code works once. Wait for your authenticator app to show the next one (every 30 seconds) and enter that.';

/** Spends `code` if it is right: each authenticator time step and each recovery code works once. */
export async function useSecondFactor(
  ctx: Pick<AppContext, 'db' | 'secretBox' | 'now'>,
  userId: string,
  input: string,
): Promise<SecondFactorCheck> {
  const code = input.replace(/\s/g, '');
  if (/^\d{6}$/.test(code)) {
    const use = await useTotpCode(ctx.db, ctx.secretBox, userId, code, ctx.now());
    return use === 'ok' ? { kind: 'totp' } : use === 'reused' ? { kind: 'wrong', reused: true } : { kind: 'wrong' };
  }
  const left = await useRecoveryCode(ctx.db, userId, input, new Date(ctx.now()));
  return left === undefined ? { kind: 'wrong' } : { kind: 'recovery_code', left };
}
