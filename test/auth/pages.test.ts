import { createHmac, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { keyIdFor } from '../../src/auth/tokens.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_JWT_SECRET, TEST_PASSWORD } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const SHORT = { ACCESS_TOKEN_EXPIRY_SECONDS: '300', REFRESH_TOKEN_EXPIRY_SECONDS: '3600', JWT_LEEWAY_SECONDS: '30' };

describe('protected pages', () => {
  it('render with a valid access token', async () => {
    const t = buildTestApp(db);
    const { browser } = await signedInBrowser(t.app);
    const res = await browser.get('/journal');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your journal');
    expect(res.text).toMatch(/<meta name="smriti-access-expires-at" content="\d+">/);
  });

  it('refresh in place when the access token has expired but the refresh cookie is good', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, SHORT, clock);
    const { browser } = await signedInBrowser(t.app);
    const oldRefresh = browser.jar.get(REFRESH_COOKIE);
    clock.advance(300 + 31);
    const res = await browser.get('/journal');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your journal');
    const set = parseSetCookies(res).map((c) => c.name);
    expect(set).toEqual(expect.arrayContaining([ACCESS_COOKIE, REFRESH_COOKIE]));
    expect(browser.jar.get(REFRESH_COOKIE)).not.toBe(oldRefresh);
    const access = jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { iat: number };
    expect(access.iat).toBe(Math.floor(clock.now() / 1000));
  });

  it('refresh in place when only the refresh cookie is left (the access cookie lapsed in the browser)', async () => {
    const t = buildTestApp(db);
    const { browser } = await signedInBrowser(t.app);
    browser.jar.delete(ACCESS_COOKIE);
    const res = await browser.get('/account');
    expect(res.status).toBe(200);
    expect(browser.jar.get(ACCESS_COOKIE)).toBeTruthy();
  });

  it('honour the leeway: an access token just past exp still renders without refreshing', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, SHORT, clock);
    const { browser } = await signedInBrowser(t.app);
    clock.advance(300 + 29);
    const res = await browser.get('/journal');
    expect(res.status).toBe(200);
    expect(parseSetCookies(res).map((c) => c.name)).not.toContain(REFRESH_COOKIE);
  });

  it('send to /login?flash=session_expired&next=… when tokens were sent but none is usable', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, SHORT, clock);
    const { browser } = await signedInBrowser(t.app);
    clock.advance(3600 + 31);
    const res = await browser.get('/journal?page=2');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?flash=session_expired&next=%2Fjournal%3Fpage%3D2');
    expect(browser.jar.get(REFRESH_COOKIE)).toBeUndefined();
    const login = await browser.get(res.headers.location as string);
    expect(login.text).toContain('Session expired. Please log in again.');
    expect(login.text).toContain('value="/journal?page=2"');
  });

  it('send to /login?next=… without a flash when no token cookie was sent', async () => {
    const t = buildTestApp(db);
    const res = await request(t.app).get('/account');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount');
  });

  it('refuse a refresh token presented as the access cookie', async () => {
    const t = buildTestApp(db);
    const { browser } = await signedInBrowser(t.app);
    const refresh = browser.jar.get(REFRESH_COOKIE)!;
    const res = await request(t.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${refresh}`);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('token_invalid');
  });
});

describe('the login page', () => {
  it('turns known flash keys into messages and ignores unknown ones without echoing them', async () => {
    const t = buildTestApp(db);
    const expired = await request(t.app).get('/login?flash=session_expired');
    expect(expired.text).toContain('Session expired. Please log in again.');
    const loggedOut = await request(t.app).get('/login?flash=logged_out');
    expect(loggedOut.text).toContain('You have signed out.');
    const unknown = await request(t.app).get('/login?flash=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(unknown.status).toBe(200);
    expect(unknown.text).not.toContain('alert(1)');
    expect(unknown.text).not.toContain('class="flash"');
    const proto = await request(t.app).get('/login?flash=__proto__');
    expect(proto.status).toBe(200);
  });

  it('sends a signed-in user on to a safe next path after sign-in', async () => {
    const t = buildTestApp(db);
    const { email } = await signedInBrowser(t.app);
    const cases: Array<[string, string]> = [
      ['/journal/new', '/journal/new'],
      ['/account?tab=1', '/account?tab=1'],
      ['//evil.example', '/journal'],
      ['/\\evil.example', '/journal'],
      ['https://evil.example/', '/journal'],
      ['javascript:alert(1)', '/journal'],
      ['/%0d%0aSet-Cookie:x=1', '/%0d%0aSet-Cookie:x=1'],
    ];
    for (const [next, expected] of cases) {
      const res = await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD, next });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(expected);
    }
  });
});

describe('sign-out', () => {
  it('revokes the session so its refresh token no longer works', async () => {
    const t = buildTestApp(db);
    const { browser } = await signedInBrowser(t.app);
    const refresh = browser.jar.get(REFRESH_COOKIE)!;
    const res = await browser.post('/logout');
    expect(res.status).toBe(303);
    expect(browser.jar.get(ACCESS_COOKIE)).toBeUndefined();
    const retry = await new Browser(t.app);
    retry.jar.set(REFRESH_COOKIE, refresh);
    const after = await retry.post('/refresh');
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('refresh_revoked');
    const row = await db.query<{ revoked_reason: string }>('SELECT revoked_reason FROM refresh_tokens WHERE family_id = $1', [
      (jwt.decode(refresh) as { sid: string }).sid,
    ]);
    expect(row.rows.every((r) => r.revoked_reason === 'logout')).toBe(true);
  });

  it('still revokes when the access token has lapsed', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, SHORT, clock);
    const { browser } = await signedInBrowser(t.app);
    const refresh = browser.jar.get(REFRESH_COOKIE)!;
    clock.advance(1000);
    await browser.post('/logout');
    const row = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL', [
      (jwt.decode(refresh) as { sid: string }).sid,
    ]);
    expect(row.rows[0]!.n).toBe(0);
  });
});

describe('password change', () => {
  it('revokes every other session, keeps this one, and the old password stops working', async () => {
    const t = buildTestApp(db);
    const { browser, email } = await signedInBrowser(t.app);
    const other = new Browser(t.app);
    await other.post('/login', { email, password: TEST_PASSWORD });
    const res = await browser.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: 'a brand new secret',
      new_password_confirm: 'a brand new secret',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect((await other.post('/refresh')).body.error).toBe('refresh_revoked');
    expect((await browser.post('/refresh')).status).toBe(200);
    expect((await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(401);
    expect((await new Browser(t.app).post('/login', { email, password: 'a brand new secret' })).status).toBe(303);
    const account = await browser.get('/account');
    expect(account.text).toContain('password changed');
  });

  it('refuses a wrong current password and changes nothing', async () => {
    const t = buildTestApp(db);
    const { browser, email } = await signedInBrowser(t.app);
    const res = await browser.post('/account/password', {
      current_password: 'wrong one!',
      new_password: 'another secret',
      new_password_confirm: 'another secret',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('That is not your current password.');
    expect((await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
  });
});

describe('JSON API authentication', () => {
  it('answers /api/me for the signed-in user', async () => {
    const t = buildTestApp(db);
    const { browser, email } = await signedInBrowser(t.app);
    const res = await browser.get('/api/me');
    expect(res.status).toBe(200);
    const access = jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string; sid: string; exp: number };
    expect(res.body).toEqual({ id: access.sub, email, sessionId: access.sid, accessTokenExpiresAt: access.exp });
  });

  it('answers 401 token_missing, token_expired and token_invalid with sentences', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, SHORT, clock);
    const missing = await request(t.app).get('/api/me');
    expect(missing.status).toBe(401);
    expect(missing.body.error).toBe('token_missing');
    expect(missing.body.message).toMatch(/sign in/i);
    const { browser } = await signedInBrowser(t.app);
    clock.advance(300 + 31);
    const expired = await browser.get('/api/me');
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('token_expired');
    const invalid = await request(t.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=nonsense`);
    expect(invalid.body.error).toBe('token_invalid');
  });

  it('never answers 500 to junk, forged or oversized cookies', async () => {
    const t = buildTestApp(db);
    const now = Math.floor(Date.now() / 1000);
    const base = {
      sub: randomUUID(),
      sid: randomUUID(),
      jti: randomUUID(),
      typ: 'access',
      iat: now,
      exp: now + 600,
      iss: 'smriti',
      aud: 'smriti',
    };
    const header = (obj: object) => Buffer.from(JSON.stringify(obj)).toString('base64url');
    // jsonwebtoken will not sign malformed claims, so this signs by hand.
    const signRaw = (head: object, payload: object) => {
      const body = `${header(head)}.${header(payload)}`;
      return `${body}.${createHmac('sha256', TEST_JWT_SECRET).update(body).digest('base64url')}`;
    };
    const samples = [
      'x',
      '.',
      '..',
      'a.b.c.d',
      '%E0%A4%A',
      'j:{"a":1}',
      's:abc',
      encodeURIComponent('\u{1F600}'.repeat(10)),
      'A'.repeat(6000),
      `${header({ alg: 'none', kid: keyIdFor(TEST_JWT_SECRET) })}.${header(base)}.`,
      jwt.sign({ ...base }, 'wrong-key-wrong-key-wrong-key-wrong', { keyid: keyIdFor(TEST_JWT_SECRET) }),
      signRaw({ alg: 'HS256', kid: keyIdFor(TEST_JWT_SECRET) }, { ...base, exp: 'tomorrow' }),
      jwt.sign({ ...base, nbf: now + 3600 }, TEST_JWT_SECRET, { keyid: keyIdFor(TEST_JWT_SECRET) }),
    ];
    for (const value of samples) {
      for (const path of ['/api/me', '/journal']) {
        const res = await request(t.app).get(path).set('Cookie', `${ACCESS_COOKIE}=${value}; ${REFRESH_COOKIE}=${value}`);
        expect([401, 303]).toContain(res.status);
      }
      const refresh = await request(t.app).post('/refresh').set('Origin', 'http://smriti.test').set('Cookie', `${REFRESH_COOKIE}=${value}`);
      expect(refresh.status).toBe(401);
    }
  });

  it('answers /api/test-token-expired with 401 token_expired outside production and 404 in production', async () => {
    const dev = await request(buildTestApp(db).app).get('/api/test-token-expired');
    expect(dev.status).toBe(401);
    expect(dev.body.error).toBe('token_expired');
    const prod = buildTestApp(db, {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      DATABASE_URL: 'postgres://u@h/d',
      APP_ORIGIN: 'https://smriti.test',
      BCRYPT_ROUNDS: '10',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      MAIL_FROM: 'Smriti <no-reply@smriti.test>',
    });
    const res = await request(prod.app).get('/api/test-token-expired');
    expect(res.status).toBe(404);
  });
});
