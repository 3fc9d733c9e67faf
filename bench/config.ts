// The production environment the bench server runs with, the Config it yields, and the run's knobs.
import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../src/config.js';

export type Env = Record<string, string>;

/** The public origin the app is told it has; unsafe requests carry it as Origin. */
export const BENCH_ORIGIN = 'https://smriti.example';

export interface BenchSettings {
  /** Length of every measured run. */
  seconds: number;
  warmupSeconds: number;
  /** Concurrent connections of the saturating runs. */
  connections: number;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return value;
}

export function benchSettings(): BenchSettings {
  return {
    seconds: positive('BENCH_SECONDS', 10),
    warmupSeconds: positive('BENCH_WARMUP_SECONDS', 2),
    connections: Math.round(positive('BENCH_CONNECTIONS', 10)),
  };
}

/** As `npm start` would run in production behind a TLS-terminating proxy on the same host. */
export function productionEnv(database: Env): Env {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    APP_ORIGIN: BENCH_ORIGIN,
    COOKIE_SECURE: 'true',
    TRUST_PROXY: 'loopback',
    BCRYPT_ROUNDS: '12',
    // Production requires mail settings; no benchmark sends an email, so nothing listens there.
    SMTP_URL: 'smtp://127.0.0.1:2525',
    MAIL_FROM: 'Smriti bench <bench@localhost>',
    LOG_LEVEL: 'info',
    ...database,
  };
}

export function benchConfig(env: Record<string, string | undefined>): Config {
  return loadConfig(env);
}

/**
 * The client address the proxy reports (Express trusts it from loopback). Requests stand for many
 * people, so each user gets an address of their own, as real browsers would; the per-IP rate limits
 * stay on, at their defaults, and apply per person instead of to the whole benchmark.
 */
export function clientAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Headers every request carries: the proxy's scheme, so Express sees HTTPS as in production. */
export const PROXY_HEADERS = { 'x-forwarded-proto': 'https' } as const;
/** Added on unsafe methods to pass the cross-site check. */
export const SAME_ORIGIN_HEADERS = { ...PROXY_HEADERS, origin: BENCH_ORIGIN } as const;
