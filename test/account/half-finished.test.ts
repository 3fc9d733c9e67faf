// Issue 30, second round: what a half-finished sign-in may still do after the owner acts (a reset,
// a password change), revoking another session needs a fresh sign-in, and a password without its
// second step changes nothing of the account.
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { replaceRecoveryCodes } from '../../src/mfa/recovery-codes.js';
import { beginTotpSetup, createSecretBox, enableTotp } from '../../src/mfa/totp.js';
import {
  Browser,
  buildTestApp,
  fakeClock,
  signedInBrowser,
  TEST_JWT_SECRET,
  TEST_ORIGIN,
  TEST_PASSWORD,
  type TestApp,
} from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';

const NEW_PASSWORD = 'another good passphrase';

let db: Db;
let smtp: MailCatcher;
let t: TestApp;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
  t = buildTestApp(db, { SMTP_URL: smtp.url, STEP_UP_SECONDS: '600' }, fakeClock());
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

const sidOf = (browser: Browser) => (jwt.decode(browser.jar.get(REFRESH_COOKIE)!) as { sid: string }).sid;
const userOf = async (email: string) =>
  (await db.query<{ id: string; zone: string }>('SELECT id, time_zone AS zone FROM users WHERE email = $1', [email])).rows[0]!;

/** A signed-in owner whose account has two-step on; answers a recovery code to finish a sign-in with. */
async function ownerWithTwoStep() {
  const { browser: owner, email } = await signedInBrowser(t.app);
  const { id } = await userOf(email);
  const at = new Date(t.clock.now());
  await beginTotpSetup(db, createSecretBox(TEST_JWT_SECRET, []), id, email, at);
  await enableTotp(db, id, at);
  // A proved address: a reset then keeps two-step, so only the end of the pending sign-in stops it.
  await db.query('UPDATE users SET email_verified_at = $2 WHERE id = $1', [id, at]);
  const [code] = await replaceRecoveryCodes(db, id, at);
  return { owner, email, code: code! };
}

/** Someone who knows the password: the first step done, the second awaited. */
async function pendingSignIn(email: string, extra: Record<string, string> = {}): Promise<Browser> {
  const browser = new Browser(t.app);
  const res = await browser.post('/login', { email, password: TEST_PASSWORD, ...extra });
  expect(res.headers.location).toBe('/login/two-factor');
  return browser;
}

describe('a pending two-step sign-in', () => {
  it('is refused after the owner resets the password by email', async () => {
    const { email, code } = await ownerWithTwoStep();
    const pending = await pendingSignIn(email);
    await new Browser(t.app).post('/password/forgot', { email });
    const [mail] = await smtp.waitFor(email, 1, 'Reset your Smriti password');
    const token = new URL(mail!.text!.match(/http:\/\/smriti\.test\/password\/reset\?token=[\w.-]+/)![0], TEST_ORIGIN).searchParams.get(
      'token',
    )!;
    await new Browser(t.app).post('/password/reset', { token, new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD });

    const finished = await pending.post('/login/two-factor', { code });
    expect(finished.headers.location).toBe('/login?flash=sign_in_again');
    expect(pending.jar.get(ACCESS_COOKIE)).toBeUndefined();
  });

  it('is refused after the owner changes the password', async () => {
    const { owner, email, code } = await ownerWithTwoStep();
    const pending = await pendingSignIn(email);
    const changed = await owner.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(changed.headers.location).toBe('/account');

    const finished = await pending.post('/login/two-factor', { code });
    expect(finished.headers.location).toBe('/login?flash=sign_in_again');
    expect(pending.jar.get(ACCESS_COOKIE)).toBeUndefined();
  });

  it('saves the time zone only when the second step is done, never after the password alone', async () => {
    const { email, code } = await ownerWithTwoStep();
    const before = (await userOf(email)).zone;
    await pendingSignIn(email, { time_zone: 'Pacific/Chatham' });
    expect((await userOf(email)).zone).toBe(before);

    const finishing = await pendingSignIn(email, { time_zone: 'Pacific/Chatham' });
    expect((await finishing.post('/login/two-factor', { code, time_zone: 'Asia/Kathmandu' })).headers.location).toBe('/journal');
    expect((await userOf(email)).zone).toBe('Asia/Kathmandu');
  });
});

describe('revoking one other session', () => {
  it('asks for a fresh sign-in first (303 to /account/confirm, JSON 403), and the session lives on', async () => {
    const { browser: laptop, email } = await signedInBrowser(t.app);
    const phone = new Browser(t.app);
    await phone.post('/login', { email, password: TEST_PASSWORD });
    t.clock.advance(601);

    const res = await laptop.post(`/account/sessions/${sidOf(phone)}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/account\/confirm\?next=/);
    const script = new Browser(t.app, TEST_ORIGIN, { Accept: 'application/json' });
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) script.jar.set(name, laptop.jar.get(name)!);
    const json = await script.post(`/account/sessions/${sidOf(phone)}/revoke`);
    expect(json.status).toBe(403);
    expect(json.body.error).toBe('step_up_required');
    expect((await phone.get('/journal')).status).toBe(200);
  });

  it('signs this browser out without a fresh sign-in', async () => {
    const { browser } = await signedInBrowser(t.app);
    t.clock.advance(601);
    const res = await browser.post(`/account/sessions/${sidOf(browser)}/revoke`);
    expect(res.headers.location).toBe('/login?flash=logged_out');
  });
});
