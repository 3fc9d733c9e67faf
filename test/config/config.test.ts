import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, localSecret } from '../../src/config.js';

const SECRET = 'p'.repeat(32);
const PROD = {
  NODE_ENV: 'production',
  JWT_SECRET: SECRET,
  DATABASE_URL: 'postgres://u@db:5432/smriti',
  APP_ORIGIN: 'https://journal.example.com',
  SMTP_URL: 'smtp://mailer:secret@mail.example.com:587',
  MAIL_FROM: 'Smriti <no-reply@journal.example.com>',
};

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env, { localSecret: GENERATED });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

/** What npm start hands loadConfig outside production when JWT_SECRET is unset. */
const GENERATED = { secret: 'g'.repeat(64), path: 'data/jwt-secret' };

describe('config profiles', () => {
  it('gives development its documented defaults', () => {
    const local = { secret: 'g'.repeat(64), path: 'data/jwt-secret' };
    const config = loadConfig({}, { localSecret: local });
    expect(config.profile).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.embeddedDbDir).toBe('./data/postgres');
    expect(config.pgliteDir).toBe('data/pglite');
    expect(config.jwt).toMatchObject({
      accessTtlSeconds: 28800,
      refreshTtlSeconds: 2592000,
      leewaySeconds: 60,
      reuseGraceSeconds: 10,
      secretSource: 'data/jwt-secret',
    });
    expect(config.jwt.secret).toBe(local.secret);
    expect(config.cookies).toEqual({ domain: undefined, path: '/', secure: false, sameSite: 'lax' });
    expect(config.bcryptRounds).toBe(12);
    expect(config.appOrigin).toBe('http://localhost:3000');
    expect(config.mail).toEqual({ smtpUrl: undefined, from: 'Smriti <no-reply@localhost>', resetExpirySeconds: 1800 });
  });

  it('gives production its stricter defaults', () => {
    const config = loadConfig(PROD);
    expect(config.jwt).toMatchObject({ accessTtlSeconds: 1800, refreshTtlSeconds: 1209600, secretSource: 'JWT_SECRET' });
    expect(config.cookies.secure).toBe(true);
    expect(config.bcryptRounds).toBe(12);
    expect(config.mail).toEqual({
      smtpUrl: 'smtp://mailer:secret@mail.example.com:587',
      from: 'Smriti <no-reply@journal.example.com>',
      resetExpirySeconds: 1800,
    });
  });

  it('reads the mail settings: smtps://, a bare From address and the reset lifetime', () => {
    const config = loadConfig(
      {
        SMTP_URL: 'smtps://u:p@mail.example.com',
        MAIL_FROM: 'journal@example.com',
        PASSWORD_RESET_EXPIRY_SECONDS: '600',
      },
      { localSecret: GENERATED },
    );
    expect(config.mail).toEqual({ smtpUrl: 'smtps://u:p@mail.example.com', from: 'journal@example.com', resetExpirySeconds: 600 });
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
    const config = loadConfig({ JWT_PREVIOUS_SECRETS: ' old-one , old-two ,' }, { localSecret: GENERATED });
    expect(config.jwt.previousSecrets).toEqual(['old-one', 'old-two']);
  });

  it('freezes the result', () => {
    const config = loadConfig({}, { localSecret: GENERATED });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(() => {
      (config.jwt as { accessTtlSeconds: number }).accessTtlSeconds = 5;
    }).toThrow();
  });

  it('drains 5 seconds before stopping in production and not at all in development, unless told', () => {
    expect(loadConfig(PROD).shutdownDrainSeconds).toBe(5);
    expect(loadConfig({}, { localSecret: GENERATED }).shutdownDrainSeconds).toBe(0);
    expect(loadConfig({ ...PROD, SHUTDOWN_DRAIN_SECONDS: '30' }).shutdownDrainSeconds).toBe(30);
  });

  it("takes the passkeys' RP id from APP_ORIGIN's host unless WEBAUTHN_RP_ID names it or a parent domain", () => {
    expect(loadConfig(PROD).webauthnRpId).toBe('journal.example.com');
    expect(loadConfig({}, { localSecret: GENERATED }).webauthnRpId).toBe('localhost');
    expect(loadConfig({ ...PROD, WEBAUTHN_RP_ID: 'Example.com' }).webauthnRpId).toBe('example.com');
    expect(errorOf({ ...PROD, WEBAUTHN_RP_ID: 'other.example' })).toMatch(/^WEBAUTHN_RP_ID: must be the host of APP_ORIGIN/);
    expect(errorOf({ ...PROD, WEBAUTHN_RP_ID: 'https://journal.example.com' })).toMatch(/^WEBAUTHN_RP_ID: must be a host name/);
    expect(errorOf({ ...PROD, WEBAUTHN_RP_ID: 'ample.com' })).toMatch(/^WEBAUTHN_RP_ID: must be the host/);
  });

  it('exposes /metrics only when METRICS_TOKEN is set', () => {
    expect(loadConfig(PROD).metricsToken).toBeUndefined();
    expect(loadConfig({ ...PROD, METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
  });

  it('logs pretty lines only to a person at a development terminal, JSON otherwise', () => {
    expect(loadConfig({}, { stdoutIsTerminal: true, localSecret: GENERATED }).logFormat).toBe('pretty');
    expect(loadConfig({}, { stdoutIsTerminal: false, localSecret: GENERATED }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test' }, { stdoutIsTerminal: true, localSecret: GENERATED }).logFormat).toBe('json');
    expect(loadConfig(PROD, { stdoutIsTerminal: true, localSecret: GENERATED }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTerminal: true, localSecret: GENERATED }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, { localSecret: GENERATED }).logFormat).toBe('pretty');
  });

  it('parses TRUST_PROXY as Express accepts it', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }, { localSecret: GENERATED }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }, { localSecret: GENERATED }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }, { localSecret: GENERATED }).trustProxy).toBe('loopback');
    expect(loadConfig({}, { localSecret: GENERATED }).trustProxy).toBeUndefined();
  });
});

const OIDC = {
  OIDC_ISSUER_URL: 'https://accounts.example.com',
  OIDC_CLIENT_ID: 'smriti',
  OIDC_CLIENT_SECRET: 'a client secret',
  OIDC_PROVIDER_NAME: 'Example',
};

describe('config: the OpenID Connect provider', () => {
  it('is off when no OIDC_* is set, and read whole when all four are', () => {
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40) }).oidc).toBeUndefined();
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40), ...OIDC }).oidc).toEqual({
      issuerUrl: 'https://accounts.example.com',
      clientId: 'smriti',
      clientSecret: 'a client secret',
      providerName: 'Example',
    });
  });

  it('allows plain http only for a loopback provider outside production', () => {
    const loopback = { ...OIDC, OIDC_ISSUER_URL: 'http://127.0.0.1:4000' };
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40), ...loopback }).oidc?.issuerUrl).toBe('http://127.0.0.1:4000');
    expect(() => loadConfig({ ...PROD, ...loopback })).toThrow(/^OIDC_ISSUER_URL: /);
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
    ['OIDC_* set in part', { OIDC_ISSUER_URL: 'https://accounts.example.com', OIDC_CLIENT_ID: 'id' }, 'OIDC_CLIENT_SECRET'],
    ['OIDC_ISSUER_URL not a URL', { ...OIDC, OIDC_ISSUER_URL: 'accounts' }, 'OIDC_ISSUER_URL'],
    ['OIDC_ISSUER_URL over http to another host', { ...OIDC, OIDC_ISSUER_URL: 'http://accounts.example.com' }, 'OIDC_ISSUER_URL'],
    ['APP_ORIGIN with a path', { APP_ORIGIN: 'https://example.com/app' }, 'APP_ORIGIN'],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['WEB_CONCURRENCY zero', { WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY'],
    ['production without JWT_SECRET', { ...PROD, JWT_SECRET: '' }, 'JWT_SECRET'],
    ['production with a short JWT_SECRET', { ...PROD, JWT_SECRET: 'short-secret' }, 'JWT_SECRET'],
    ['production with a short SESSION_SECRET', { ...PROD, JWT_SECRET: '', SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    ['production with a short previous secret', { ...PROD, JWT_PREVIOUS_SECRETS: 'tiny' }, 'JWT_PREVIOUS_SECRETS'],
    ['production with COOKIE_SECURE=false', { ...PROD, COOKIE_SECURE: 'false' }, 'COOKIE_SECURE'],
    ['production with BCRYPT_ROUNDS < 10', { ...PROD, BCRYPT_ROUNDS: '9' }, 'BCRYPT_ROUNDS'],
    ['production without DATABASE_URL', { ...PROD, DATABASE_URL: '' }, 'DATABASE_URL'],
    ['production without APP_ORIGIN', { ...PROD, APP_ORIGIN: '' }, 'APP_ORIGIN'],
    ['production without SMTP_URL', { ...PROD, SMTP_URL: '' }, 'SMTP_URL'],
    ['production without MAIL_FROM', { ...PROD, MAIL_FROM: '' }, 'MAIL_FROM'],
    ['SMTP_URL not smtp', { SMTP_URL: 'https://mail.example.com' }, 'SMTP_URL'],
    ['MAIL_FROM without an address', { MAIL_FROM: 'Smriti' }, 'MAIL_FROM'],
    ['MAIL_FROM with a line break', { MAIL_FROM: 'Smriti <a@b.c>\nBcc: x@y.z' }, 'MAIL_FROM'],
    ['reset lifetime not a number', { PASSWORD_RESET_EXPIRY_SECONDS: '30m' }, 'PASSWORD_RESET_EXPIRY_SECONDS'],
    ['reset lifetime under a minute', { PASSWORD_RESET_EXPIRY_SECONDS: '10' }, 'PASSWORD_RESET_EXPIRY_SECONDS'],
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

  it('never echoes SMTP_URL, which carries the SMTP password', () => {
    expect(errorOf({ SMTP_URL: 'ftp://user:hunter2@mail.example.com' })).not.toContain('hunter2');
  });
});

describe('the generated development secret', () => {
  it('is made once, random and private, kept beside the embedded database, and reused on the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smriti-secret-'));
    try {
      const env = { EMBEDDED_DB_DIR: join(dir, 'postgres') };
      const first = localSecret(env)!;
      expect(first.path).toBe(join(dir, 'jwt-secret'));
      expect(first.secret).toMatch(/^[\w-]{64}$/);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      expect(localSecret(env)).toEqual(first);
      expect(readFileSync(first.path, 'utf8').trim()).toBe(first.secret);
      expect(loadConfig(env, { localSecret: first }).jwt.secret).toBe(first.secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is never made in production, nor when a secret is set', () => {
    expect(localSecret({ NODE_ENV: 'production', EMBEDDED_DB_DIR: '/nonexistent/postgres' })).toBeUndefined();
    expect(localSecret({ JWT_SECRET: 'x'.repeat(40), EMBEDDED_DB_DIR: '/nonexistent/postgres' })).toBeUndefined();
  });

  it('refuses to start without any secret rather than fall back to a public one', () => {
    expect(() => loadConfig({})).toThrow(/^JWT_SECRET: is required/);
  });
});
