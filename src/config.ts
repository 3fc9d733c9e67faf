// Environment → validated, frozen Config. The only module that reads process.env.
import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export type Profile = 'development' | 'test' | 'production';
export type SameSite = 'strict' | 'lax' | 'none';
export type LogFormat = 'json' | 'pretty';

export interface Config {
  readonly profile: Profile;
  readonly port: number;
  /** The address to listen on; undefined means every interface. */
  readonly host: string | undefined;
  readonly databaseUrl: string | undefined;
  /** The embedded PostgreSQL server's data directory, used when DATABASE_URL is unset. */
  readonly embeddedDbDir: string;
  /** Where an older release kept its embedded PGlite database: carried over once, then renamed. */
  readonly pgliteDir: string;
  readonly jwt: {
    readonly secret: string;
    readonly previousSecrets: readonly string[];
    /** Where the secret came from: the environment, or the file generated for a development machine. */
    readonly secretSource: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
    readonly leewaySeconds: number;
    readonly reuseGraceSeconds: number;
    /** The absolute end of one sign-in, however often it is refreshed (§14). */
    readonly sessionMaxLifetimeSeconds: number;
  };
  /** How recent the last full sign-in must be for a sensitive action (§11). */
  readonly stepUpSeconds: number;
  readonly cookies: {
    readonly domain: string | undefined;
    readonly path: string;
    readonly secure: boolean;
    readonly sameSite: SameSite;
  };
  /** Key for the flash cookie's signature (src/http/flash.ts), derived from JWT_SECRET so no extra secret is needed. */
  readonly flashCookieKey: string;
  readonly bcryptRounds: number;
  readonly appOrigin: string;
  readonly trustProxy: boolean | number | string | undefined;
  readonly logLevel: string;
  /** `pretty` (pino-pretty, a development dependency) or `json`. */
  readonly logFormat: LogFormat;
  readonly webConcurrency: number;
  readonly mail: {
    /** Unset outside production: each email is written to the log instead of sent. */
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly resetExpirySeconds: number;
  };
  /** Unset: /metrics answers 404. Set: /metrics needs `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  /** After SIGTERM, /readyz answers 503 this long while requests are still served. */
  readonly shutdownDrainSeconds: number;
  /** One OpenID Connect provider for "Continue with …" (§13); undefined when OIDC_* are unset. */
  readonly oidc: OidcConfig | undefined;
  /** Passkeys' relying-party id (§12): the host of APP_ORIGIN or a registrable suffix of it. */
  readonly webauthnRpId: string;
  /** One photo's upload, and all of an account's stored photos together (§17). */
  readonly photos: { readonly maxBytes: number; readonly quotaBytes: number };
}

export interface OidcConfig {
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly providerName: string;
}

/** A bad variable: the message is one line naming the variable and the rule. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** A secret generated on this machine (outside production only), and the file that keeps it. */
export interface LocalSecret {
  secret: string;
  path: string;
}

const PROFILE_DEFAULTS = {
  development: { accessTtl: 28800, refreshTtl: 2592000, cookieSecure: false, bcryptRounds: 12, drainSeconds: 0 },
  test: { accessTtl: 28800, refreshTtl: 2592000, cookieSecure: false, bcryptRounds: 12, drainSeconds: 0 },
  production: { accessTtl: 1800, refreshTtl: 1209600, cookieSecure: true, bcryptRounds: 12, drainSeconds: 5 },
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function fail(name: string, rule: string): never {
  throw new ConfigError(`${name}: ${rule}`);
}

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) fail(name, `must be a whole number of at least ${min} (got "${raw.slice(0, 40)}")`);
  const value = Number(raw);
  if (value < min || value > max) fail(name, `must be between ${min} and ${max} (got ${raw})`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  return fail(name, `must be true or false (got "${raw.slice(0, 40)}")`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) fail(name, `must be one of ${allowed.join(', ')} (got "${raw.slice(0, 40)}")`);
  return raw as T;
}

function profileOf(env: Env): Profile {
  return oneOf(env, 'NODE_ENV', ['development', 'test', 'production'], 'development');
}

function databaseUrl(env: Env, profile: Profile): string | undefined {
  const url = read(env, 'DATABASE_URL');
  if (url === undefined) {
    if (profile === 'production') fail('DATABASE_URL', 'is required in production (postgres://user:pass@host:5432/db)');
    return undefined;
  }
  if (!/^postgres(ql)?:\/\//.test(url)) fail('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  return url;
}

function jwtSecret(env: Env, profile: Profile, local: LocalSecret | undefined): { secret: string; secretSource: string } {
  const name = read(env, 'JWT_SECRET') !== undefined ? 'JWT_SECRET' : 'SESSION_SECRET';
  const secret = read(env, name);
  if (secret === undefined) {
    if (profile === 'production') {
      fail('JWT_SECRET', 'is required in production (at least 32 bytes; SESSION_SECRET is read when it is unset)');
    }
    if (!local) fail('JWT_SECRET', 'is required (npm start generates one in the data folder when it is unset)');
    return { secret: local.secret, secretSource: local.path };
  }
  if (profile === 'production' && Buffer.byteLength(secret) < 32) fail(name, 'must be at least 32 bytes in production');
  return { secret, secretSource: name };
}

function previousSecrets(env: Env, profile: Profile): string[] {
  const list = (read(env, 'JWT_PREVIOUS_SECRETS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (profile === 'production' && list.some((s) => Buffer.byteLength(s) < 32)) {
    fail('JWT_PREVIOUS_SECRETS', 'every retired secret must be at least 32 bytes in production');
  }
  return list;
}

function appOrigin(env: Env, profile: Profile, port: number): string {
  const raw = read(env, 'APP_ORIGIN');
  if (raw === undefined) {
    if (profile === 'production') fail('APP_ORIGIN', 'is required in production (for example https://journal.example.com)');
    return `http://localhost:${port}`;
  }
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(raw);
  if (!parsed.success) fail('APP_ORIGIN', 'must be an http:// or https:// origin such as https://journal.example.com');
  const url = new URL(raw);
  if (url.pathname !== '/' || url.search || url.hash) fail('APP_ORIGIN', 'must be an origin only, with no path, query or fragment');
  return url.origin;
}

/** The RP id must be the origin's host or a parent domain of it, or browsers refuse every passkey ceremony. */
function webauthnRpId(env: Env, origin: string): string {
  const host = new URL(origin).hostname;
  const raw = read(env, 'WEBAUTHN_RP_ID')?.toLowerCase();
  if (raw === undefined) return host;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(raw)) {
    fail('WEBAUTHN_RP_ID', 'must be a host name such as journal.example.com (no scheme, port or path)');
  }
  if (host !== raw && !host.endsWith(`.${raw}`))
    fail('WEBAUTHN_RP_ID', `must be the host of APP_ORIGIN (${host}) or a parent domain of it`);
  return raw;
}

/** Development listens on this machine only (as Rails and Vite do): a private journal is not for the whole network. */
function host(env: Env, profile: Profile): string | undefined {
  const raw = read(env, 'HOST');
  if (raw === undefined) return profile === 'production' ? undefined : '127.0.0.1';
  if (!/^[\w.:-]{1,253}$/.test(raw)) fail('HOST', 'must be an address or host name such as 127.0.0.1, 0.0.0.0 or ::');
  return raw;
}

const NINETY_DAYS = 90 * 24 * 3600;

/** In production at least the refresh lifetime; outside production any number of seconds, so tests can watch it end. */
function sessionMaxLifetime(env: Env, profile: Profile, refreshTtlSeconds: number): number {
  const value = integer(env, 'SESSION_MAX_LIFETIME_SECONDS', Math.max(NINETY_DAYS, refreshTtlSeconds), 1);
  if (profile === 'production' && value < refreshTtlSeconds) {
    fail('SESSION_MAX_LIFETIME_SECONDS', `must be at least REFRESH_TOKEN_EXPIRY_SECONDS in production (${value} < ${refreshTtlSeconds})`);
  }
  return value;
}

function trustProxy(env: Env): Config['trustProxy'] {
  const raw = read(env, 'TRUST_PROXY');
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw; // an address list or a preset such as "loopback", as Express accepts
}

function cookiePath(env: Env): string {
  const path = read(env, 'COOKIE_PATH') ?? '/';
  if (!/^\/[\x21-\x3a\x3c-\x7e]*$/.test(path))
    fail('COOKIE_PATH', 'must start with / and hold no spaces, semicolons or control characters');
  return path;
}

function cookieDomain(env: Env): string | undefined {
  const domain = read(env, 'COOKIE_DOMAIN');
  if (domain !== undefined && !/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(domain)) {
    fail('COOKIE_DOMAIN', 'must be a host name such as example.com');
  }
  return domain;
}

function smtpUrl(env: Env, profile: Profile): string | undefined {
  const url = read(env, 'SMTP_URL');
  if (url === undefined) {
    if (profile === 'production')
      fail('SMTP_URL', 'is required in production (smtp://user:pass@host:587 or smtps://…), to send password-reset links');
    return undefined;
  }
  // Never echo the value: it usually carries the SMTP password.
  if (!/^smtps?:\/\/[^\s/?#]+/i.test(url))
    fail('SMTP_URL', 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587');
  return url;
}

// A display name with an address in angle brackets, or a bare address; no line breaks (header injection).
const MAIL_FROM_SHAPE = /^(?:[^<>\p{Cc}]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/u;

function mailFrom(env: Env, profile: Profile): string {
  const from = read(env, 'MAIL_FROM');
  if (from === undefined) {
    if (profile === 'production') fail('MAIL_FROM', 'is required in production (for example "Smriti <no-reply@journal.example.com>")');
    return 'Smriti <no-reply@localhost>';
  }
  if (!MAIL_FROM_SHAPE.test(from))
    fail('MAIL_FROM', 'must be an address, or a name and <address>, such as "Smriti <no-reply@example.com>"');
  return from;
}

function metricsToken(env: Env, profile: Profile): string | undefined {
  const token = read(env, 'METRICS_TOKEN');
  if (token === undefined) return undefined;
  if (!/^[\x21-\x7e]+$/.test(token)) fail('METRICS_TOKEN', 'must be printable ASCII without spaces (it travels in a header)');
  if (profile === 'production' && token.length < 32) fail('METRICS_TOKEN', 'must be at least 32 characters in production');
  return token;
}

const OIDC_VARIABLES = ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_PROVIDER_NAME'] as const;

/** All four OIDC_* variables or none: a half-configured provider would show a button that cannot work. */
function oidc(env: Env, profile: Profile): OidcConfig | undefined {
  const set = OIDC_VARIABLES.filter((name) => read(env, name) !== undefined);
  if (set.length === 0) return undefined;
  const missing = OIDC_VARIABLES.find((name) => read(env, name) === undefined);
  if (missing) fail(missing, `must be set too when ${set[0]} is (set all four OIDC_* variables, or none)`);
  const issuerUrl = read(env, 'OIDC_ISSUER_URL')!;
  let url: URL;
  try {
    url = new URL(issuerUrl);
  } catch {
    return fail('OIDC_ISSUER_URL', 'must be a URL such as https://accounts.google.com');
  }
  // Plain http only for a provider on this machine outside production (a test or development provider).
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && profile !== 'production')) {
    fail('OIDC_ISSUER_URL', 'must be an https:// URL (http:// is allowed only for 127.0.0.1 or localhost outside production)');
  }
  if (url.search || url.hash) fail('OIDC_ISSUER_URL', 'must have no query or fragment');
  const providerName = read(env, 'OIDC_PROVIDER_NAME')!;
  if (providerName.length > 40 || /\p{Cc}/u.test(providerName))
    fail('OIDC_PROVIDER_NAME', 'must be a short name such as Google (at most 40 characters)');
  return { issuerUrl, clientId: read(env, 'OIDC_CLIENT_ID')!, clientSecret: read(env, 'OIDC_CLIENT_SECRET')!, providerName };
}

/** Pretty lines by default only for a person at a terminal in development; machines read JSON. */
function logFormat(env: Env, profile: Profile, stdoutIsTerminal: boolean): LogFormat {
  const fallback = profile === 'development' && stdoutIsTerminal ? 'pretty' : 'json';
  const format = oneOf<LogFormat>(env, 'LOG_FORMAT', ['json', 'pretty'], fallback);
  if (profile === 'production' && format === 'pretty')
    fail('LOG_FORMAT', 'must be json in production (pino-pretty is a development dependency)');
  return format;
}

/** What the process knows that the environment does not say. */
export interface ProcessFacts {
  /** Whether standard output is a terminal (a person reading), as opposed to a pipe or a file. */
  stdoutIsTerminal?: boolean;
  /** The secret generated for this machine, used when JWT_SECRET is unset outside production (see localSecret). */
  localSecret?: LocalSecret;
}

export function loadConfig(env: Env, facts: ProcessFacts = {}): Config {
  const profile = profileOf(env);
  const defaults = PROFILE_DEFAULTS[profile];
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const { secret, secretSource } = jwtSecret(env, profile, facts.localSecret);

  const accessTtlSeconds = integer(env, 'ACCESS_TOKEN_EXPIRY_SECONDS', defaults.accessTtl, 1);
  const refreshTtlSeconds = integer(env, 'REFRESH_TOKEN_EXPIRY_SECONDS', defaults.refreshTtl, 1);
  if (refreshTtlSeconds <= accessTtlSeconds) {
    fail('REFRESH_TOKEN_EXPIRY_SECONDS', `must exceed ACCESS_TOKEN_EXPIRY_SECONDS (${refreshTtlSeconds} ≤ ${accessTtlSeconds})`);
  }

  const sessionMaxLifetimeSeconds = sessionMaxLifetime(env, profile, refreshTtlSeconds);

  const secure = boolean(env, 'COOKIE_SECURE', defaults.cookieSecure);
  if (profile === 'production' && !secure) fail('COOKIE_SECURE', 'must be true in production');
  const sameSite = oneOf<SameSite>(env, 'COOKIE_SAMESITE', ['strict', 'lax', 'none'], 'lax');
  if (sameSite === 'none' && !secure)
    fail('COOKIE_SAMESITE', 'none requires COOKIE_SECURE=true (browsers drop SameSite=None cookies without Secure)');

  const bcryptRounds = integer(env, 'BCRYPT_ROUNDS', defaults.bcryptRounds, 4, 31);
  if (profile === 'production' && bcryptRounds < 10) fail('BCRYPT_ROUNDS', 'must be at least 10 in production');

  const origin = appOrigin(env, profile, port);
  const config: Config = {
    profile,
    port,
    host: host(env, profile),
    databaseUrl: databaseUrl(env, profile),
    embeddedDbDir: embeddedDbDir(env),
    pgliteDir: pgliteDir(env),
    jwt: {
      secret,
      previousSecrets: previousSecrets(env, profile),
      secretSource,
      accessTtlSeconds,
      refreshTtlSeconds,
      leewaySeconds: integer(env, 'JWT_LEEWAY_SECONDS', 60, 0, 3600),
      reuseGraceSeconds: integer(env, 'REFRESH_REUSE_GRACE_SECONDS', 10, 0, 3600),
      sessionMaxLifetimeSeconds,
    },
    stepUpSeconds: integer(env, 'STEP_UP_SECONDS', 600, profile === 'production' ? 60 : 1, 30 * 86400),
    cookies: { domain: cookieDomain(env), path: cookiePath(env), secure, sameSite },
    flashCookieKey: createHmac('sha256', secret).update('smriti flash cookie').digest('base64url'),
    bcryptRounds,
    appOrigin: origin,
    trustProxy: trustProxy(env),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: logFormat(env, profile, facts.stdoutIsTerminal ?? false),
    webConcurrency: integer(env, 'WEB_CONCURRENCY', 1, 1, 64),
    mail: {
      smtpUrl: smtpUrl(env, profile),
      from: mailFrom(env, profile),
      resetExpirySeconds: integer(env, 'PASSWORD_RESET_EXPIRY_SECONDS', 1800, 60, 7 * 24 * 3600),
    },
    metricsToken: metricsToken(env, profile),
    shutdownDrainSeconds: integer(env, 'SHUTDOWN_DRAIN_SECONDS', defaults.drainSeconds, 0, 300),
    oidc: oidc(env, profile),
    webauthnRpId: webauthnRpId(env, origin),
    photos: {
      maxBytes: integer(env, 'PHOTO_MAX_BYTES', 20 * 1024 * 1024, 1024, 200 * 1024 * 1024),
      quotaBytes: integer(env, 'PHOTO_QUOTA_BYTES', 5 * 1024 ** 3, 0),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}

function embeddedDbDir(env: Env): string {
  return read(env, 'EMBEDDED_DB_DIR') ?? './data/postgres';
}

/** An older release's PGLITE_DIR, else `pglite` beside the embedded server's directory. */
function pgliteDir(env: Env): string {
  return read(env, 'PGLITE_DIR') ?? join(dirname(embeddedDbDir(env)), 'pglite');
}

/**
 * Outside production, a missing JWT_SECRET is replaced by a random one generated on first start and
 * kept beside the embedded database (mode 0600), as Rails does for development: sessions survive
 * restarts, and nobody else can forge them. Creation is atomic, so processes starting together agree.
 */
export function localSecret(env: Env): LocalSecret | undefined {
  if (profileOf(env) === 'production' || read(env, 'JWT_SECRET') || read(env, 'SESSION_SECRET')) return undefined;
  const path = join(dirname(embeddedDbDir(env)), 'jwt-secret');
  try {
    return readSecretFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  const draft = `${path}.${process.pid}.tmp`;
  writeFileSync(draft, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  try {
    linkSync(draft, path); // fails if another process created it first; theirs wins
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return readSecretFile(path);
}

function readSecretFile(path: string): LocalSecret {
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) fail('JWT_SECRET', `the generated secret in ${path} is damaged; delete that file to have a new one made`);
  return { secret, path };
}

/** Loads `.env` (when present) into the process environment, then reads it. */
export async function loadConfigFromProcess(): Promise<Config> {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
  return loadConfig(process.env, { stdoutIsTerminal: Boolean(process.stdout.isTTY), localSecret: localSecret(process.env) });
}
