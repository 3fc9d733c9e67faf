// What every feature is handed by createApp: config and the collaborators built from it.
import type { Logger } from 'pino';
import type { PasswordHasher } from './auth/passwords.js';
import type { RevokedSessions } from './auth/revocations.js';
import type { TokenKeys } from './auth/tokens.js';
import type { UserCache } from './auth/user-cache.js';
import type { Config } from './config.js';
import type { Db } from './db/db.js';
import type { SecurityEvents } from './events.js';
import type { Metrics } from './http/metrics.js';
import type { RateLimitSettings } from './http/rate-limit.js';
import type { Mailer } from './mail.js';
import type { SecretBox } from './mfa/totp.js';
import type { AccountSection } from './sign-in/methods.js';

export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now: () => number;
  tokenKeys: TokenKeys;
  /** Sessions ended recently, kept current by listenForRevocations (started by the process). */
  revokedSessions: RevokedSessions;
  /** Users' rows, kept current by listenForRevocations; absent where nothing hears changes (then every read goes to the database). */
  userCache?: UserCache;
  passwords: PasswordHasher;
  rateLimits: RateLimitSettings;
  mailer: Mailer;
  /** What happened to an account, for notify/ and any other listener wired in createApp. */
  events: SecurityEvents;
  /** This app's own registry, so apps built side by side (tests) never see each other's counts. */
  metrics: Metrics;
  /** The parts of /account that features bring (the email, each way in), in page order. */
  accountSections: readonly AccountSection[];
  /** Encrypts authenticator secrets at rest, with keys derived from the signing secrets. */
  secretBox: SecretBox;
}
