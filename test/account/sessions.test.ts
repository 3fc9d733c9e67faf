import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_PASSWORD } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const sidOf = (browser: Browser) => (jwt.decode(browser.jar.get(REFRESH_COOKIE)!) as { sid: string }).sid;

describe('revoking one session from the account page', () => {
  it("makes that session's refresh fail and its pages redirect at once", async () => {
    const clock = fakeClock();
    const t = buildTestApp(
      db,
      { ACCESS_TOKEN_EXPIRY_SECONDS: '300', REFRESH_TOKEN_EXPIRY_SECONDS: '3600', JWT_LEEWAY_SECONDS: '0' },
      clock,
    );
    const { browser: laptop, email } = await signedInBrowser(t.app);
    const phone = new Browser(t.app);
    await phone.post('/login', { email, password: TEST_PASSWORD });

    const phoneSid = sidOf(phone);
    const page = await laptop.get('/account');
    expect(page.text).toContain(`/account/sessions/${phoneSid}/revoke`);
    const res = await laptop.post(`/account/sessions/${phoneSid}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');

    // The process that ended it refuses its access token at once (no listener runs in this app).
    const after = await phone.get('/journal');
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/login?flash=session_ended&next=%2Fjournal');
    expect(phone.jar.get(REFRESH_COOKIE)).toBeUndefined();
    expect((await laptop.get('/journal')).status).toBe(200);
    const account = await laptop.get('/account');
    expect(account.text).not.toContain(phoneSid);
    expect(account.text).toContain('session revoked');
  });

  it("answers 404 for another user's session or a malformed id, and revokes nothing", async () => {
    const t = buildTestApp(db);
    const { browser: mallory } = await signedInBrowser(t.app);
    const { browser: victim } = await signedInBrowser(t.app);
    expect((await mallory.post(`/account/sessions/${sidOf(victim)}/revoke`)).status).toBe(404);
    expect((await mallory.post('/account/sessions/not-a-uuid/revoke')).status).toBe(404);
    expect((await victim.post('/refresh')).status).toBe(200);
  });

  it('signs this device out when it revokes its own session', async () => {
    const t = buildTestApp(db);
    const { browser } = await signedInBrowser(t.app);
    const res = await browser.post(`/account/sessions/${sidOf(browser)}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?flash=logged_out');
    expect(browser.jar.get(ACCESS_COOKIE)).toBeUndefined();
  });

  it('sign out everywhere else keeps only the current session', async () => {
    const t = buildTestApp(db);
    const { browser, email } = await signedInBrowser(t.app);
    const others = [new Browser(t.app), new Browser(t.app), new Browser(t.app)];
    for (const other of others) await other.post('/login', { email, password: TEST_PASSWORD });
    const res = await browser.post('/account/sessions/revoke-others');
    expect(res.status).toBe(303);
    expect((await browser.get('/account')).text).toContain('Signed out 3 other sessions.');
    for (const other of others) expect((await other.post('/refresh')).body.error).toBe('refresh_revoked');
    expect((await browser.post('/refresh')).status).toBe(200);
    const user = (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;
    const live = await db.query<{ n: number }>(
      'SELECT count(DISTINCT family_id)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL',
      [user],
    );
    expect(live.rows[0]!.n).toBe(1);
  });
});
