import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from '../../src/config.js';

const SECRET = 'p'.repeat(32);
const PROD = {
  NODE_ENV: 'production',
  JWT_SECRET: SECRET,
  DATABASE_URL: 'postgres://u@db:5432/smriti',
  APP_ORIGIN: 'https://journal.example.com',
};

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('config profiles', () => {
  it('gives development its documented defaults', () => {
    const config = loadConfig({});
    expect(config.profile).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.pgliteDir).toBe('./data/pglite');
    expect(config.jwt).toMatchObject({
      accessTtlSeconds: 28800,
      refreshTtlSeconds: 2592000,
      leewaySeconds: 60,
      reuseGraceSeconds: 10,
      usingDevSecret: true,
    });
    expect(config.jwt.secret).toBe(DEV_JWT_SECRET);
    expect(config.cookies).toEqual({ domain: undefined, path: '/', secure: false, sameSite: 'lax' });
    expect(config.bcryptRounds).toBe(12);
    expect(config.appOrigin).toBe('http://localhost:3000');
  });

  it('gives production its stricter defaults', () => {
    const config = loadConfig(PROD);
    expect(config.jwt).toMatchObject({ accessTtlSeconds: 1800, refreshTtlSeconds: 1209600, usingDevSecret: false });
    expect(config.cookies.secure).toBe(true);
    expect(config.bcryptRounds).toBe(12);
  });

  it('lets an explicitly set variable win over every profile default', () => {
    const config = loadConfig({
      ...PROD,
      ACCESS_TOKEN_EXPIRY_SECONDS: '60',
      REFRESH_TOKEN_EXPIRY_SECONDS: '600',
      COOKIE_SAMESITE: 'strict',
      BCRYPT_ROUNDS: '10',
      PORT: '8080',
    });
    expect(config.jwt.accessTtlSeconds).toBe(60);
    expect(config.jwt.refreshTtlSeconds).toBe(600);
    expect(config.cookies.sameSite).toBe('strict');
    expect(config.bcryptRounds).toBe(10);
    expect(config.port).toBe(8080);
  });

  it('reads SESSION_SECRET when JWT_SECRET is unset', () => {
    const config = loadConfig({ ...PROD, JWT_SECRET: '', SESSION_SECRET: 's'.repeat(40) });
    expect(config.jwt.secret).toBe('s'.repeat(40));
  });

  it('splits JWT_PREVIOUS_SECRETS on commas', () => {
    const config = loadConfig({ JWT_PREVIOUS_SECRETS: ' old-one , old-two ,' });
    expect(config.jwt.previousSecrets).toEqual(['old-one', 'old-two']);
  });

  it('freezes the result', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(() => {
      (config.jwt as { accessTtlSeconds: number }).accessTtlSeconds = 5;
    }).toThrow();
  });

  it('drains 5 seconds before stopping in production and not at all in development, unless told', () => {
    expect(loadConfig(PROD).shutdownDrainSeconds).toBe(5);
    expect(loadConfig({}).shutdownDrainSeconds).toBe(0);
    expect(loadConfig({ ...PROD, SHUTDOWN_DRAIN_SECONDS: '30' }).shutdownDrainSeconds).toBe(30);
  });

  it('exposes /metrics only when METRICS_TOKEN is set', () => {
    expect(loadConfig(PROD).metricsToken).toBeUndefined();
    expect(loadConfig({ ...PROD, METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
  });

  it('logs pretty lines only to a person at a development terminal, JSON otherwise', () => {
    expect(loadConfig({}, { stdoutIsTerminal: true }).logFormat).toBe('pretty');
    expect(loadConfig({}, { stdoutIsTerminal: false }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test' }, { stdoutIsTerminal: true }).logFormat).toBe('json');
    expect(loadConfig(PROD, { stdoutIsTerminal: true }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTerminal: true }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  it('parses TRUST_PROXY as Express accepts it', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
    expect(loadConfig({}).trustProxy).toBeUndefined();
  });
});

describe('config rules: each bad value stops start-up with one line naming the variable', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['NODE_ENV not a profile', { NODE_ENV: 'staging' }, 'NODE_ENV'],
    ['PORT not a number', { PORT: 'eighty' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['access lifetime not a number', { ACCESS_TOKEN_EXPIRY_SECONDS: '15m' }, 'ACCESS_TOKEN_EXPIRY_SECONDS'],
    ['access lifetime negative', { ACCESS_TOKEN_EXPIRY_SECONDS: '-5' }, 'ACCESS_TOKEN_EXPIRY_SECONDS'],
    ['access lifetime zero', { ACCESS_TOKEN_EXPIRY_SECONDS: '0' }, 'ACCESS_TOKEN_EXPIRY_SECONDS'],
    ['refresh lifetime not a number', { REFRESH_TOKEN_EXPIRY_SECONDS: '1.5' }, 'REFRESH_TOKEN_EXPIRY_SECONDS'],
    ['access ≥ refresh', { ACCESS_TOKEN_EXPIRY_SECONDS: '600', REFRESH_TOKEN_EXPIRY_SECONDS: '600' }, 'REFRESH_TOKEN_EXPIRY_SECONDS'],
    ['leeway negative', { JWT_LEEWAY_SECONDS: '-1' }, 'JWT_LEEWAY_SECONDS'],
    ['grace not a number', { REFRESH_REUSE_GRACE_SECONDS: 'ten' }, 'REFRESH_REUSE_GRACE_SECONDS'],
    ['SameSite unknown', { COOKIE_SAMESITE: 'loose' }, 'COOKIE_SAMESITE'],
    ['SameSite none without Secure', { COOKIE_SAMESITE: 'none' }, 'COOKIE_SAMESITE'],
    ['COOKIE_SECURE not a boolean', { COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE'],
    ['COOKIE_PATH without a slash', { COOKIE_PATH: 'app' }, 'COOKIE_PATH'],
    ['COOKIE_PATH with a semicolon', { COOKIE_PATH: '/a;b' }, 'COOKIE_PATH'],
    ['COOKIE_DOMAIN not a host', { COOKIE_DOMAIN: 'exa mple.com' }, 'COOKIE_DOMAIN'],
    ['BCRYPT_ROUNDS not a number', { BCRYPT_ROUNDS: 'lots' }, 'BCRYPT_ROUNDS'],
    ['BCRYPT_ROUNDS below bcrypt minimum', { BCRYPT_ROUNDS: '3' }, 'BCRYPT_ROUNDS'],
    ['DATABASE_URL not postgres', { DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    ['APP_ORIGIN not a URL', { APP_ORIGIN: 'journal' }, 'APP_ORIGIN'],
    ['APP_ORIGIN with a path', { APP_ORIGIN: 'https://example.com/app' }, 'APP_ORIGIN'],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['WEB_CONCURRENCY zero', { WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY'],
    ['production without JWT_SECRET', { ...PROD, JWT_SECRET: '' }, 'JWT_SECRET'],
    ['production with a short JWT_SECRET', { ...PROD, JWT_SECRET: 'short-secret' }, 'JWT_SECRET'],
    ['production with a short SESSION_SECRET', { ...PROD, JWT_SECRET: '', SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    ['production with the dev secret', { ...PROD, JWT_SECRET: DEV_JWT_SECRET }, 'JWT_SECRET'],
    ['production with a short previous secret', { ...PROD, JWT_PREVIOUS_SECRETS: 'tiny' }, 'JWT_PREVIOUS_SECRETS'],
    ['production with COOKIE_SECURE=false', { ...PROD, COOKIE_SECURE: 'false' }, 'COOKIE_SECURE'],
    ['production with BCRYPT_ROUNDS < 10', { ...PROD, BCRYPT_ROUNDS: '9' }, 'BCRYPT_ROUNDS'],
    ['production without DATABASE_URL', { ...PROD, DATABASE_URL: '' }, 'DATABASE_URL'],
    ['production without APP_ORIGIN', { ...PROD, APP_ORIGIN: '' }, 'APP_ORIGIN'],
    ['SHUTDOWN_DRAIN_SECONDS negative', { SHUTDOWN_DRAIN_SECONDS: '-1' }, 'SHUTDOWN_DRAIN_SECONDS'],
    ['SHUTDOWN_DRAIN_SECONDS not a number', { SHUTDOWN_DRAIN_SECONDS: '5s' }, 'SHUTDOWN_DRAIN_SECONDS'],
    ['METRICS_TOKEN with a space', { METRICS_TOKEN: 'two words' }, 'METRICS_TOKEN'],
    ['production with a short METRICS_TOKEN', { ...PROD, METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    ['LOG_FORMAT unknown', { LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    ['production with LOG_FORMAT=pretty', { ...PROD, LOG_FORMAT: 'pretty' }, 'LOG_FORMAT'],
  ];

  it.each(cases)('refuses %s', (_situation, env, variable) => {
    const message = errorOf(env);
    expect(message.startsWith(`${variable}: `)).toBe(true);
    expect(message).not.toContain('\n');
  });
});
