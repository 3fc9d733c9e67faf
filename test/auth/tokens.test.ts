import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import {
  checkToken,
  createTokenKeys,
  keyIdFor,
  signToken,
  type TokenCheck,
  type TokenSettings,
  type TokenSubject,
  type TokenType,
} from '../../src/auth/tokens.js';
import { fakeClock } from '../helpers/app.js';

const SECRET = 'current-secret-that-is-long-enough-32b';
const OLD = 'retired-secret-that-is-long-enough-32b!';
const settings: TokenSettings = {
  secret: SECRET,
  previousSecrets: [OLD],
  accessTtlSeconds: 900,
  refreshTtlSeconds: 86400,
  leewaySeconds: 60,
  sessionMaxLifetimeSeconds: 7 * 86400,
};
const subject = { sub: randomUUID(), sid: randomUUID() };

/** The functions under test, bound to one set of keys and a clock. */
function tokenFunctions(tokenSettings: TokenSettings, now: () => number) {
  const keys = createTokenKeys(tokenSettings);
  return {
    sign: (typ: TokenType, who: TokenSubject) => signToken(keys, typ, who, now()),
    check: (typ: TokenType, token: string | undefined) => checkToken(keys, typ, token, now()),
  };
}

function reasonOf(check: TokenCheck): string {
  return check.kind === 'valid' ? 'accepted' : check.kind;
}

function claimsOf(check: TokenCheck) {
  if (check.kind !== 'valid') throw new Error(`expected a valid token, got ${check.kind}`);
  return check.claims;
}

function forge(payload: object, secret = SECRET, options: jwt.SignOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { ...subject, typ: 'access', jti: randomUUID(), iat: now, exp: now + 900, iss: 'smriti', aud: 'smriti', ...payload },
    secret,
    {
      algorithm: 'HS256',
      keyid: keyIdFor(secret),
      ...options,
    },
  );
}

describe('token service', () => {
  const clock = fakeClock();
  const tokens = tokenFunctions(settings, clock.now);

  it('signs both types with exp − iat equal to their configured lifetime', () => {
    const access = tokens.sign('access', subject);
    const refresh = tokens.sign('refresh', subject);
    expect(access.claims.exp - access.claims.iat).toBe(900);
    expect(refresh.claims.exp - refresh.claims.iat).toBe(86400);
    const decoded = jwt.decode(access.token, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'HS256', typ: 'JWT', kid: keyIdFor(SECRET) });
    expect(decoded.payload).toMatchObject({ ...subject, typ: 'access', iss: 'smriti', aud: 'smriti' });
    expect(access.claims.jti).not.toBe(refresh.claims.jti);
  });

  it('accepts a token only for its own type', () => {
    const access = tokens.sign('access', subject).token;
    const refresh = tokens.sign('refresh', subject).token;
    expect(claimsOf(tokens.check('access', access)).typ).toBe('access');
    expect(claimsOf(tokens.check('refresh', refresh)).typ).toBe('refresh');
    expect(reasonOf(tokens.check('access', refresh))).toBe('invalid');
    expect(reasonOf(tokens.check('refresh', access))).toBe('invalid');
  });

  it('keeps the pending token (a half-done two-step sign-in) apart from both, and short-lived', () => {
    const pending = tokens.sign('pending', subject);
    expect(pending.claims.exp - pending.claims.iat).toBe(300);
    expect(claimsOf(tokens.check('pending', pending.token)).typ).toBe('pending');
    expect(reasonOf(tokens.check('access', pending.token))).toBe('invalid');
    expect(reasonOf(tokens.check('refresh', pending.token))).toBe('invalid');
    expect(reasonOf(tokens.check('pending', tokens.sign('access', subject).token))).toBe('invalid');
    expect(reasonOf(tokens.check('pending', tokens.sign('refresh', subject).token))).toBe('invalid');
  });

  it('carries auth_time into both tokens and caps a refresh token at the session end', () => {
    const now = Math.floor(Date.now() / 1000);
    const access = tokens.sign('access', { ...subject, authTime: now - 500 });
    expect(access.claims.auth_time).toBe(now - 500);
    const refresh = tokens.sign('refresh', { ...subject, sessionExp: now + 100 });
    expect(refresh.claims.exp).toBe(now + 100);
    expect(refresh.claims.session_exp).toBe(now + 100);
    const fresh = tokens.sign('refresh', subject);
    expect(fresh.claims.session_exp).toBe(fresh.claims.iat + 7 * 86400);
    expect(fresh.claims.exp - fresh.claims.iat).toBe(86400);
  });

  it('honours the leeway after exp, then calls the token expired', () => {
    const local = fakeClock();
    const service = tokenFunctions(settings, local.now);
    const token = service.sign('access', subject).token;
    local.advance(900 + 59);
    expect(claimsOf(service.check('access', token)).sub).toBe(subject.sub);
    local.advance(2);
    expect(reasonOf(service.check('access', token))).toBe('expired');
  });

  it('keeps checking type and expiry for a token it has verified before', () => {
    const local = fakeClock();
    const service = tokenFunctions(settings, local.now);
    const token = service.sign('access', subject).token;
    expect(claimsOf(service.check('access', token)).sub).toBe(subject.sub);
    expect(claimsOf(service.check('access', token)).sub).toBe(subject.sub);
    expect(reasonOf(service.check('refresh', token))).toBe('invalid');
    local.advance(900 + 60);
    expect(reasonOf(service.check('access', token))).toBe('expired');
    const claims = service.sign('access', subject);
    expect(Object.isFrozen(claimsOf(service.check('access', claims.token)))).toBe(true);
  });

  it('remembers verified access tokens only: a refresh token is spent once and would crowd them out', () => {
    const keys = createTokenKeys(settings);
    const now = Date.now();
    const access = signToken(keys, 'access', subject, now).token;
    const refresh = signToken(keys, 'refresh', subject, now).token;
    expect(checkToken(keys, 'refresh', refresh, now).kind).toBe('valid');
    expect(keys.verified.size).toBe(0);
    expect(checkToken(keys, 'access', access, now).kind).toBe('valid');
    expect([...keys.verified.keys()]).toEqual([access]);
  });

  it('refuses a token issued further in the future than the leeway', () => {
    const future = Math.floor(Date.now() / 1000) + 120;
    expect(reasonOf(tokens.check('access', forge({ iat: future, exp: future + 900 })))).toBe('invalid');
    const nearFuture = Math.floor(Date.now() / 1000) + 30;
    expect(reasonOf(tokens.check('access', forge({ iat: nearFuture, exp: nearFuture + 900 })))).toBe('accepted');
  });

  it('accepts a token signed with a retired key that is still listed', () => {
    expect(claimsOf(tokens.check('access', forge({}, OLD))).sub).toBe(subject.sub);
  });

  it('refuses a token signed with a key that is not listed', () => {
    const stranger = 'some-other-secret-nobody-configured!!';
    expect(reasonOf(tokens.check('access', forge({}, stranger)))).toBe('invalid');
    // Even when it claims the current kid.
    expect(reasonOf(tokens.check('access', forge({}, stranger, { keyid: keyIdFor(SECRET) })))).toBe('invalid');
  });

  it('refuses an unknown or path-like kid', () => {
    expect(reasonOf(tokens.check('access', forge({}, SECRET, { keyid: 'nope' })))).toBe('invalid');
    expect(reasonOf(tokens.check('access', forge({}, SECRET, { keyid: '../../etc/passwd' })))).toBe('invalid');
  });

  it('refuses alg none, other algorithms and a tampered payload', () => {
    const unsigned = forge({}, SECRET).split('.');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: keyIdFor(SECRET) })).toString('base64url');
    expect(reasonOf(tokens.check('access', `${noneHeader}.${unsigned[1]}.`))).toBe('invalid');
    expect(reasonOf(tokens.check('access', forge({}, SECRET, { algorithm: 'HS512' })))).toBe('invalid');
    const tamperedPayload = Buffer.from(JSON.stringify({ ...(jwt.decode(unsigned.join('.')) as object), sub: randomUUID() })).toString(
      'base64url',
    );
    expect(reasonOf(tokens.check('access', `${unsigned[0]}.${tamperedPayload}.${unsigned[2]}`))).toBe('invalid');
  });

  it('refuses wrong issuer, audience, missing claims and claims of the wrong kind', () => {
    expect(reasonOf(tokens.check('access', forge({ iss: 'elsewhere' })))).toBe('invalid');
    expect(reasonOf(tokens.check('access', forge({ aud: 'elsewhere' })))).toBe('invalid');
    expect(reasonOf(tokens.check('access', forge({ sid: undefined })))).toBe('invalid');
    expect(reasonOf(tokens.check('access', forge({ sub: 42 })))).toBe('invalid');
    expect(reasonOf(tokens.check('access', forge({ jti: 'not-a-uuid' })))).toBe('invalid');
  });

  it('calls junk invalid and nothing missing', () => {
    // The fourth: a "typ":"JWT" header makes jsonwebtoken parse the payload, which is a NUL byte.
    for (const junk of ['x', 'a.b.c', '...', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.AA.x', 'eyJ.eyJ.sig', '🙂.🙂.🙂', 'a'.repeat(5000)]) {
      expect(reasonOf(tokens.check('access', junk))).toBe('invalid');
    }
    expect(reasonOf(tokens.check('access', undefined))).toBe('missing');
    expect(reasonOf(tokens.check('access', ''))).toBe('missing');
  });
});
