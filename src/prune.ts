// Deletes rows nobody needs any more, each table after its own keeping period.
import { prunePasswordResets } from './account/password-reset.js';
import { DEVICES_KEPT_MS, pruneDevices } from './auth/devices.js';
import { pruneRevocations, revocationKeepMs } from './auth/revocations.js';
import { pruneRefreshTokens } from './auth/sessions.js';
import { pruneSignInFailures } from './auth/sign-in-failures.js';
import type { Config } from './config.js';
import { type Db, type Queryable, STATEMENT_TIMEOUTS, withStatementTimeout } from './db/db.js';
import { pruneRateLimits } from './http/rate-limit-postgres.js';
import { EMAIL_LINK_CAP, pruneEmailLinks } from './identity/email-links.js';
import { pruneOidcFlows } from './identity/oidc-flows.js';
import { pruneUnreferencedPhotos } from './journal/photos.js';
import { pruneTrash, TRASH_KEEP_MS } from './journal/trash.js';
import { pruneChallenges } from './passkeys/challenges.js';
import { prunePendingSignIns } from './sign-in/pending.js';

// A day past expiry, so a late replay of a just-expired refresh token is still recognised.
const REFRESH_TOKENS_KEPT_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;
// Reset links count towards the hourly mail cap until they are an hour old, used or not.
const PASSWORD_RESETS_KEPT_MS = 60 * 60 * 1000;
const UNREFERENCED_PHOTOS_KEPT_MS = 24 * 60 * 60 * 1000;

export interface PruneCounts {
  refreshTokens: number;
  signInFailures: number;
  revocations: number;
  passwordResets: number;
  emailLinks: number;
  oidcFlows: number;
  rateLimits: number;
  pendingSignIns: number;
  devices: number;
  trashedEntries: number;
  passkeyChallenges: number;
  unreferencedPhotos: number;
}

export async function pruneExpiredRows(db: Db, config: Config, nowMs: number): Promise<PruneCounts> {
  // A first prune of a big table can take minutes: each deletion gets the prune's own timeout.
  const prune = (work: (tx: Queryable) => Promise<number>) => withStatementTimeout(db, STATEMENT_TIMEOUTS.prune, work);
  return {
    refreshTokens: await prune((tx) => pruneRefreshTokens(tx, new Date(nowMs - REFRESH_TOKENS_KEPT_AFTER_EXPIRY_MS))),
    // A failed-sign-in counter matters only until its window closes.
    signInFailures: await prune((tx) => pruneSignInFailures(tx, new Date(nowMs))),
    revocations: await prune((tx) => pruneRevocations(tx, new Date(nowMs - revocationKeepMs(config.jwt)))),
    passwordResets: await prune((tx) => prunePasswordResets(tx, new Date(nowMs - PASSWORD_RESETS_KEPT_MS))),
    // Email links count towards the resend cap for its window, used or not.
    emailLinks: await prune((tx) => pruneEmailLinks(tx, new Date(nowMs - EMAIL_LINK_CAP.windowSeconds * 1000))),
    oidcFlows: await prune((tx) => pruneOidcFlows(tx, new Date(nowMs))),
    // A rate-limit window is useless once it has reset.
    rateLimits: await prune((tx) => pruneRateLimits(tx, new Date(nowMs))),
    // A pending sign-in lives five minutes; its row only counts wrong codes until then.
    pendingSignIns: await prune((tx) => prunePendingSignIns(tx, new Date(nowMs))),
    devices: await prune((tx) => pruneDevices(tx, new Date(nowMs - DEVICES_KEPT_MS))),
    // An entry in the trash is kept for 30 days, then deleted for good.
    trashedEntries: await prune((tx) => pruneTrash(tx, new Date(nowMs - TRASH_KEEP_MS))),
    // A spent or expired challenge proves nothing any more.
    passkeyChallenges: await prune((tx) => pruneChallenges(tx, new Date(nowMs))),
    // A photo no entry names (its reference removed, or an upload never saved) is kept a day.
    unreferencedPhotos: await prune((tx) => pruneUnreferencedPhotos(tx, new Date(nowMs - UNREFERENCED_PHOTOS_KEPT_MS))),
  };
}
