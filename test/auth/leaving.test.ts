// Leaving nothing behind (DESIGN §14): no-store, Clear-Site-Data, the absolute lifetime, and what
// a refused refresh says about how its session ended.
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { hashToken } from '../../src/auth/sessions.js';
import { Browser, buildTestApp, signedInBrowser, TEST_PASSWORD, useTestApp, writeEntry } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { startMailCatcher } from '../helpers/smtp.js';

const ctx = useTestApp();

describe('Cache-Control: no-store', () => {
  it('is sent on every page, API answer, refresh, export and redirect a signed-in user gets', async () => {
    const { browser } = await signedInBrowser(ctx.t.app);
    const id = await writeEntry(browser, 'Private', 'Nobody else should read this.');
    const gets = ['/', '/journal', `/journal/${id}`, `/journal/${id}/edit`, '/journal/new', '/account', '/api/me', '/api/entries'];
    gets.push(`/api/entries/${id}`, '/account/export', '/account/export?format=markdown', '/login');
    for (const path of gets) {
      const res = await browser.get(path);
      expect([200, 303], path).toContain(res.status);
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
    const refreshed = await browser.post('/refresh');
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
  });

  it('is not sent on the static files, which hold nothing of anyone', async () => {
    const res = await request(ctx.t.app).get('/js/secureFetch.js');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).not.toContain('no-store');
  });
});

describe('signing out', () => {
  it('answers with Clear-Site-Data: "cache" and clears both cookies', async () => {
    const { browser } = await signedInBrowser(ctx.t.app);
    const res = await browser.post('/logout');
    expect(res.status).toBe(303);
    expect(res.headers['clear-site-data']).toBe('"cache"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(browser.jar.get(ACCESS_COOKIE)).toBeUndefined();
    expect(browser.jar.get(REFRESH_COOKIE)).toBeUndefined();
  });
});

describe('the absolute lifetime (SESSION_MAX_LIFETIME_SECONDS)', () => {
  const env = {
    ACCESS_TOKEN_EXPIRY_SECONDS: '5',
    REFRESH_TOKEN_EXPIRY_SECONDS: '20',
    SESSION_MAX_LIFETIME_SECONDS: '30',
    JWT_LEEWAY_SECONDS: '0',
  };

  async function storedExpiry(token: string): Promise<Date> {
    const row = await ctx.db.query<{ expires_at: Date }>('SELECT expires_at FROM refresh_tokens WHERE token_hash = $1', [hashToken(token)]);
    return row.rows[0]!.expires_at;
  }

  function refreshCookieOf(res: request.Response) {
    const cookie = parseSetCookies(res).find((c) => c.name === REFRESH_COOKIE)!;
    const claims = jwt.decode(cookie.value) as { iat: number; exp: number; session_exp: number };
    return { cookie, claims };
  }

  it('caps the refresh token at the session start + the lifetime; Max-Age and expires_at follow exp; then refresh_expired', async () => {
    const app = buildTestApp(ctx.db, env);
    const { browser } = await signedInBrowser(app.app);
    const started = Math.floor(app.clock.now() / 1000);

    app.clock.advance(15);
    const first = await browser.post('/refresh');
    expect(first.status).toBe(200);
    const one = refreshCookieOf(first);
    expect(one.claims.exp - one.claims.iat).toBe(15); // 20 s would pass the end at start + 30
    expect(one.claims.exp).toBe(started + 30);
    expect(one.claims.session_exp).toBe(started + 30);
    expect(one.cookie.attributes['max-age']).toBe('15');
    expect((await storedExpiry(one.cookie.value)).getTime()).toBe(one.claims.exp * 1000);

    app.clock.advance(10);
    const second = await browser.post('/refresh');
    expect(second.status).toBe(200);
    const two = refreshCookieOf(second);
    expect(two.claims.exp).toBe(started + 30);
    expect(two.cookie.attributes['max-age']).toBe('5');
    expect((await storedExpiry(two.cookie.value)).getTime()).toBe(two.claims.exp * 1000);

    app.clock.advance(5);
    const past = await browser.post('/refresh');
    expect(past.status).toBe(401);
    expect(past.body.error).toBe('refresh_expired');
  });

  it('still ends a session that kept within the leeway of its last token', async () => {
    const app = buildTestApp(ctx.db, { ...env, JWT_LEEWAY_SECONDS: '60' });
    const { browser } = await signedInBrowser(app.app);
    app.clock.advance(31); // past the end, but within the leeway of the token's exp
    const res = await browser.post('/refresh');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('refresh_expired');
  });

  it('is refused in production when shorter than the refresh lifetime', () => {
    expect(() => buildTestApp(ctx.db, { NODE_ENV: 'production', SESSION_MAX_LIFETIME_SECONDS: '60' })).toThrow(
      /SESSION_MAX_LIFETIME_SECONDS/,
    );
  });
});

/** A second copy of a signed-in browser's cookies, as another tab or a restored window would hold. */
function copyOf(browser: Browser): Browser {
  const copy = new Browser(ctx.t.app);
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) copy.jar.set(name, browser.jar.get(name)!);
  return copy;
}

async function expectEnded(stale: Browser): Promise<void> {
  const refused = await copyRefresh(stale);
  expect(refused.status).toBe(401);
  expect(refused.body.error).toBe('refresh_revoked');
  expect(refused.body.message).toMatch(/signed out/i);
}

async function copyRefresh(stale: Browser) {
  const refresh = stale.jar.get(REFRESH_COOKIE)!;
  return request(ctx.t.app).post('/refresh').set('Origin', 'http://smriti.test').set('Cookie', `${REFRESH_COOKIE}=${refresh}`);
}

describe('a session ended on purpose says so: refresh_revoked and flash=session_ended', () => {
  it('after signing out (a copy of the cookies in another window)', async () => {
    const { browser } = await signedInBrowser(ctx.t.app);
    const stale = copyOf(browser);
    await browser.post('/logout');
    await expectEnded(stale);
    const page = await stale.get('/journal');
    expect(page.headers.location).toBe('/login?flash=session_ended&next=%2Fjournal');
  });

  it('after being revoked from the sessions page, and the page tells the truth', async () => {
    const { browser: laptop, email } = await signedInBrowser(ctx.t.app);
    const phone = new Browser(ctx.t.app);
    await phone.post('/login', { email, password: TEST_PASSWORD });
    const sid = (await phone.get('/api/me')).body.sessionId as string;
    await laptop.post(`/account/sessions/${sid}/revoke`);
    await expectEnded(phone);
    const page = await phone.get('/journal');
    expect(page.headers.location).toBe('/login?flash=session_ended&next=%2Fjournal');
    const login = await request(ctx.t.app).get('/login?flash=session_ended');
    expect(login.text).toContain('You were signed out on another device or after a password change. Please sign in again.');
  });

  it('after a password change on another device', async () => {
    const { browser: laptop, email } = await signedInBrowser(ctx.t.app);
    const phone = new Browser(ctx.t.app);
    await phone.post('/login', { email, password: TEST_PASSWORD });
    const changed = await laptop.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: 'a wholly different passphrase',
      new_password_confirm: 'a wholly different passphrase',
    });
    expect(changed.status).toBe(303);
    await expectEnded(phone);
  });

  it('after a password reset by email', async () => {
    const smtp = await startMailCatcher();
    try {
      const app = buildTestApp(ctx.db, { SMTP_URL: smtp.url });
      const { browser, email } = await signedInBrowser(app.app);
      await browser.post('/logout');
      const phone = new Browser(app.app);
      await phone.post('/login', { email, password: TEST_PASSWORD });
      await new Browser(app.app).post('/password/forgot', { email });
      const [mail] = await smtp.waitFor(email, 1, 'Reset your Smriti password');
      const token = new URL(mail!.text!.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
      const reset = await new Browser(app.app).post('/password/reset', {
        token,
        new_password: 'a wholly different passphrase',
        new_password_confirm: 'a wholly different passphrase',
      });
      expect(reset.headers.location).toBe('/login?flash=password_reset');
      const refused = await request(app.app)
        .post('/refresh')
        .set('Origin', 'http://smriti.test')
        .set('Cookie', `${REFRESH_COOKIE}=${phone.jar.get(REFRESH_COOKIE)}`);
      expect(refused.body.error).toBe('refresh_revoked');
    } finally {
      await smtp.close();
    }
  });
});

describe('the process that ends a session refuses it at once', () => {
  // No listener on the revocation channel here: only what the ending process does itself counts.
  it('refuses the ended sessions’ access tokens on its next request, before any notice is heard', async () => {
    const t = buildTestApp(ctx.db);
    const { browser: laptop, email } = await signedInBrowser(t.app);
    const signIn = async () => {
      const phone = new Browser(t.app);
      await phone.post('/login', { email, password: TEST_PASSWORD });
      expect((await phone.get('/api/me')).status).toBe(200);
      return phone;
    };
    const phone = await signIn();
    const sid = (await phone.get('/api/me')).body.sessionId as string;
    await laptop.post(`/account/sessions/${sid}/revoke`);
    expect((await phone.get('/api/me')).status).toBe(401);
    const tablet = await signIn();
    await laptop.post('/account/sessions/revoke-others');
    expect((await tablet.get('/api/me')).status).toBe(401);
    const copy = new Browser(t.app);
    copy.jar.set(ACCESS_COOKIE, laptop.jar.get(ACCESS_COOKIE)!);
    await laptop.post('/logout');
    expect((await copy.get('/api/me')).status).toBe(401);
  });
});
