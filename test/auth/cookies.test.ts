import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { hashToken } from '../../src/auth/sessions.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

async function signIn(env: Record<string, string>, form: Record<string, string> = {}) {
  const t = buildTestApp(db, env);
  const email = uniqueEmail();
  await new Browser(t.app).post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
  const res = await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD, ...form });
  expect(res.status).toBe(303);
  const cookies = parseSetCookies(res);
  return { t, cookies, find: (name: string) => cookies.find((c) => c.name === name)! };
}

describe('token cookies', () => {
  it.each([
    [60, 3600],
    [900, 86400],
    [1800, 1209600],
    [28800, 2592000],
  ])('carry Max-Age = lifetime (access %i s, refresh %i s) and tokens whose exp − iat match', async (access, refresh) => {
    const { find } = await signIn({ ACCESS_TOKEN_EXPIRY_SECONDS: String(access), REFRESH_TOKEN_EXPIRY_SECONDS: String(refresh) });
    const accessCookie = find(ACCESS_COOKIE);
    const refreshCookie = find(REFRESH_COOKIE);
    expect(accessCookie.attributes['max-age']).toBe(String(access));
    expect(refreshCookie.attributes['max-age']).toBe(String(refresh));
    const accessClaims = jwt.decode(accessCookie.value) as { iat: number; exp: number };
    const refreshClaims = jwt.decode(refreshCookie.value) as { iat: number; exp: number; jti: string };
    expect(accessClaims.exp - accessClaims.iat).toBe(access);
    expect(refreshClaims.exp - refreshClaims.iat).toBe(refresh);

    const row = await db.query<{ expires_at: Date; issued_at: Date; jti: string }>(
      'SELECT expires_at, issued_at, jti FROM refresh_tokens WHERE token_hash = $1',
      [hashToken(refreshCookie.value)],
    );
    expect(row.rows[0]!.expires_at.getTime() / 1000).toBe(refreshClaims.exp);
    expect(row.rows[0]!.issued_at.getTime() / 1000).toBe(refreshClaims.iat);
    expect(row.rows[0]!.jti).toBe(refreshClaims.jti);
  });

  it('are HttpOnly, SameSite=Lax, Path=/, host-only and not Secure by default in development', async () => {
    const { find } = await signIn({});
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
      const cookie = find(name);
      expect(cookie.attributes.httponly).toBe(true);
      expect(cookie.attributes.samesite).toBe('Lax');
      expect(cookie.attributes.path).toBe('/');
      expect(cookie.attributes.domain).toBeUndefined();
      expect(cookie.attributes.secure).toBeUndefined();
    }
  });

  it('take Secure, SameSite, Path and Domain from config', async () => {
    const { find } = await signIn({ COOKIE_SECURE: 'true', COOKIE_SAMESITE: 'strict', COOKIE_PATH: '/app', COOKIE_DOMAIN: 'smriti.test' });
    const cookie = find(REFRESH_COOKIE);
    expect(cookie.attributes).toMatchObject({ secure: true, samesite: 'Strict', path: '/app', domain: 'smriti.test', httponly: true });
  });

  it('are browser-session cookies on a shared computer, while token lifetimes stay the same', async () => {
    const { find } = await signIn({ ACCESS_TOKEN_EXPIRY_SECONDS: '600', REFRESH_TOKEN_EXPIRY_SECONDS: '7200' }, { shared_computer: '1' });
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
      expect(find(name).attributes['max-age']).toBeUndefined();
      expect(find(name).attributes.expires).toBeUndefined();
    }
    const refreshClaims = jwt.decode(find(REFRESH_COOKIE).value) as { iat: number; exp: number };
    expect(refreshClaims.exp - refreshClaims.iat).toBe(7200);
  });

  it('stay browser-session cookies after a refresh on a shared computer', async () => {
    const { t, find } = await signIn({}, { shared_computer: '1' });
    const browser = new Browser(t.app);
    browser.jar.set(REFRESH_COOKIE, find(REFRESH_COOKIE).value);
    const res = await browser.post('/refresh');
    expect(res.status).toBe(200);
    const refreshed = parseSetCookies(res).find((c) => c.name === REFRESH_COOKIE)!;
    expect(refreshed.attributes['max-age']).toBeUndefined();
  });

  it('are cleared on sign-out with the same Path and Domain they were set with', async () => {
    const { t, find } = await signIn({ COOKIE_PATH: '/', COOKIE_DOMAIN: 'smriti.test' });
    const browser = new Browser(t.app);
    browser.jar.set(ACCESS_COOKIE, find(ACCESS_COOKIE).value);
    browser.jar.set(REFRESH_COOKIE, find(REFRESH_COOKIE).value);
    const res = await browser.post('/logout');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?flash=logged_out');
    const cleared = parseSetCookies(res).filter((c) => c.name === ACCESS_COOKIE || c.name === REFRESH_COOKIE);
    expect(cleared).toHaveLength(2);
    for (const cookie of cleared) {
      expect(cookie.value).toBe('');
      expect(cookie.attributes).toMatchObject({ path: '/', domain: 'smriti.test' });
      expect(Date.parse(cookie.attributes.expires as string)).toBeLessThan(Date.now());
    }
  });
});
