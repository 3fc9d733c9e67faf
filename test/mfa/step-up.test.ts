// Step-up (DESIGN §11): sensitive actions ask for a fresh sign-in when auth_time is older than
// STEP_UP_SECONDS, and work right after /account/confirm, which renews auth_time in the same session.
import jwt from 'jsonwebtoken';
import { generate } from 'otplib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { type Browser, buildTestApp, signedInBrowser, TEST_PASSWORD, type TestApp, useTestApp } from '../helpers/app.js';

const ctx = useTestApp();
const STEP_UP = 60;

async function staleSession(): Promise<{ t: TestApp; browser: Browser; email: string }> {
  const t = buildTestApp(ctx.db, { STEP_UP_SECONDS: String(STEP_UP) });
  const { browser, email } = await signedInBrowser(t.app);
  t.clock.advance(STEP_UP + 1);
  return { t, browser, email };
}

const exportFile = JSON.stringify({ format: 'smriti-export', version: 1, exportedAt: new Date().toISOString(), entries: [] });

/** Each sensitive action, as the page sends it. */
const ACTIONS: Array<[string, (b: Browser) => ReturnType<Browser['get']>]> = [
  ['export', (b) => b.get('/account/export')],
  ['export as Markdown', (b) => b.get('/account/export?format=markdown')],
  ['import', (b) => b.upload('/account/import', 'file', exportFile)],
  [
    'password change',
    (b) =>
      b.post('/account/password', {
        current_password: TEST_PASSWORD,
        new_password: 'another long passphrase',
        new_password_confirm: 'another long passphrase',
      }),
  ],
  ['signing out other sessions', (b) => b.post('/account/sessions/revoke-others')],
  ['the two-step page', (b) => b.get('/account/two-factor')],
  ['turning two-step off', (b) => b.post('/account/two-factor/disable', { current_password: TEST_PASSWORD, code: '123456' })],
  ['account deletion', (b) => b.post('/account/delete', { current_password: TEST_PASSWORD })],
];

describe('a sensitive action with an old sign-in', () => {
  it.each(ACTIONS)('%s goes to /account/confirm first, and nothing changes', async (_name, act) => {
    const { browser, email } = await staleSession();
    const res = await act(browser);
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/account\/confirm\?next=%2Faccount/);
    const user = await ctx.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(user.rows).toHaveLength(1);
    expect((await browser.get('/api/me')).status).toBe(200);
  });

  it('answers 403 step_up_required to a script asking for JSON', async () => {
    const { t, browser } = await staleSession();
    const res = await request(t.app).get('/account/export').set('Accept', 'application/json').set('Cookie', browser.jar.header());
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('step_up_required');
    expect(res.body.message).toMatch(/confirm/i);
  });

  it.each(ACTIONS.filter(([name]) => name !== 'account deletion' && name !== 'turning two-step off'))(
    '%s works right after /account/confirm',
    async (_name, act) => {
      const { t, browser } = await staleSession();
      const sid = (await browser.get('/api/me')).body.sessionId;
      const confirm = await browser.get('/account/confirm?next=/account');
      expect(confirm.status).toBe(200);
      const confirmed = await browser.post('/account/confirm', { current_password: TEST_PASSWORD, next: '/account/export' });
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.location).toBe('/account/export');
      const claims = jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { auth_time: number; sid: string };
      expect(claims.auth_time).toBe(Math.floor(t.clock.now() / 1000));
      expect(claims.sid).toBe(sid);
      expect((jwt.decode(browser.jar.get(REFRESH_COOKIE)!) as { auth_time: number }).auth_time).toBe(claims.auth_time);
      const res = await act(browser);
      expect([200, 303]).toContain(res.status);
      expect(res.headers.location ?? '').not.toContain('/account/confirm');
    },
  );

  it('deletes the account right after /account/confirm', async () => {
    const { browser, email } = await staleSession();
    await browser.post('/account/confirm', { current_password: TEST_PASSWORD, next: '/account' });
    const res = await browser.post('/account/delete', { current_password: TEST_PASSWORD });
    expect(res.headers.location).toBe('/login?flash=account_deleted');
    expect((await ctx.db.query('SELECT 1 FROM users WHERE email = $1', [email])).rows).toHaveLength(0);
  });

  it('keeps auth_time across an ordinary refresh, so refreshing is no fresh sign-in', async () => {
    const { browser } = await staleSession();
    const before = (jwt.decode(browser.jar.get(REFRESH_COOKIE)!) as { auth_time: number }).auth_time;
    expect((await browser.post('/refresh')).status).toBe(200);
    expect((jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { auth_time: number }).auth_time).toBe(before);
    expect((await browser.get('/account/export')).headers.location).toMatch(/^\/account\/confirm/);
  });
});

describe('/account/confirm', () => {
  it('refuses a wrong password, and keeps next a same-origin path', async () => {
    const { browser } = await staleSession();
    const wrong = await browser.post('/account/confirm', { current_password: 'not it', next: '/account/export' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That is not your password.');
    const offSite = await browser.post('/account/confirm', { current_password: TEST_PASSWORD, next: '//evil.example/x' });
    expect(offSite.headers.location).toBe('/account');
  });

  it('asks for the code too when two-step is on', async () => {
    const t = buildTestApp(ctx.db, { STEP_UP_SECONDS: String(STEP_UP) });
    const { browser } = await signedInBrowser(t.app);
    const page = await browser.get('/account/two-factor');
    const secret = page.text.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
    const code = (ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });
    await browser.post('/account/two-factor/enable', { current_password: TEST_PASSWORD, code: await code(t.clock.now()) });
    t.clock.advance(STEP_UP + 1);
    expect((await browser.get('/account/confirm')).text).toContain('name="code"');
    const noCode = await browser.post('/account/confirm', { current_password: TEST_PASSWORD, next: '/account/export' });
    expect(noCode.status).toBe(400);
    const ok = await browser.post('/account/confirm', {
      current_password: TEST_PASSWORD,
      code: await code(t.clock.now()),
      next: '/account/export',
    });
    expect(ok.headers.location).toBe('/account/export');
    expect((await browser.get('/account/export')).status).toBe(200);
  });
});
