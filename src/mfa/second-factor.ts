// The second factor as one check (an authenticator code, or else one of the recovery codes), and
// the same counted as one try of the account's failed-sign-in limit.
import { withSignInTry } from '../auth/sign-in-failures.js';
import type { AppContext } from '../context.js';
import { waitPhrase } from '../http/rate-limit.js';
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

export type CodesLimited = { kind: 'limited'; retryAfterSeconds: number; message: string };
export type CountedSecondFactorCheck = SecondFactorCheck | CodesLimited;

/** Wrong codes and wrong passwords count against the one failed-sign-in limit of the account. */
function codesLimited(retryAfterSeconds: number): CodesLimited {
  const message = `Too many wrong passwords or codes for this account. Please wait ${waitPhrase(retryAfterSeconds)} and try again.`;
  return { kind: 'limited', retryAfterSeconds, message };
}

/**
 * The code as one try of the account's failed-sign-in limit (DESIGN §8): taken before the check,
 * given back when right; past the limit nothing is checked.
 */
export async function checkSecondFactor(
  ctx: Pick<AppContext, 'db' | 'secretBox' | 'now' | 'rateLimits'>,
  user: { id: string; email: string },
  input: string,
): Promise<CountedSecondFactorCheck> {
  const tried = await withSignInTry(
    ctx,
    user.email,
    () => useSecondFactor(ctx, user.id, input),
    (factor) => factor.kind !== 'wrong',
  );
  return tried.kind === 'limited' ? codesLimited(tried.retryAfterSeconds) : tried.result;
}

/** The first code of an authenticator being set up, counted as checkSecondFactor counts it. */
export async function checkSetupCode(
  ctx: Pick<AppContext, 'db' | 'secretBox' | 'now' | 'rateLimits'>,
  user: { id: string; email: string },
  input: string,
): Promise<CountedSecondFactorCheck> {
  const code = input.replace(/\s/g, '');
  const tried = await withSignInTry(
    ctx,
    user.email,
    () => useTotpCode(ctx.db, ctx.secretBox, user.id, code, ctx.now()),
    (ok) => ok,
  );
  if (tried.kind === 'limited') return codesLimited(tried.retryAfterSeconds);
  return tried.result ? { kind: 'totp' } : { kind: 'wrong' };
}
