// Deletes rows nobody needs any more, each table after its own keeping period.
import { prunePasswordResets } from './account/password-reset.js';
import { pruneRevocations, revocationKeepMs } from './auth/revocations.js';
import { pruneRefreshTokens } from './auth/sessions.js';
import { pruneSignInFailures } from './auth/sign-in-failures.js';
import type { Config } from './config.js';
import type { Queryable } from './db/db.js';
import { DEFAULT_RATE_LIMITS } from './http/rate-limit.js';
import { pruneRateLimits } from './http/rate-limit-postgres.js';
import { prunePendingSignIns } from './sign-in/pending.js';

// A day past expiry, so a late replay of a just-expired refresh token is still recognised.
const REFRESH_TOKENS_KEPT_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;
// Failed sign-ins matter only inside the per-account limit's window.
const SIGN_IN_FAILURES_KEPT_MS = DEFAULT_RATE_LIMITS.failedSignInsPerAccount.windowSeconds * 1000;
// Reset links count towards the hourly mail cap until they are an hour old, used or not.
const PASSWORD_RESETS_KEPT_MS = 60 * 60 * 1000;

export interface PruneCounts {
  refreshTokens: number;
  signInFailures: number;
  revocations: number;
  passwordResets: number;
  rateLimits: number;
  pendingSignIns: number;
}

export async function pruneExpiredRows(db: Queryable, config: Config, nowMs: number): Promise<PruneCounts> {
  return {
    refreshTokens: await pruneRefreshTokens(db, new Date(nowMs - REFRESH_TOKENS_KEPT_AFTER_EXPIRY_MS)),
    signInFailures: await pruneSignInFailures(db, new Date(nowMs - SIGN_IN_FAILURES_KEPT_MS)),
    revocations: await pruneRevocations(db, new Date(nowMs - revocationKeepMs(config.jwt))),
    passwordResets: await prunePasswordResets(db, new Date(nowMs - PASSWORD_RESETS_KEPT_MS)),
    // A rate-limit window is useless once it has reset.
    rateLimits: await pruneRateLimits(db, new Date(nowMs)),
    // A pending sign-in lives five minutes; its row only counts wrong codes until then.
    pendingSignIns: await prunePendingSignIns(db, new Date(nowMs)),
  };
}
