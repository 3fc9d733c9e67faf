import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonPasswordCount } from '../../src/auth/password-strength.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, signedInBrowser, TEST_ORIGIN, TEST_PASSWORD, type TestApp, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';

const STRONG = 'tangerine kayak whispers under 47 lopsided chimneys';
const GUESSABLE: Array<[string, string | ((email: string) => string), RegExp]> = [
  ['password', 'password', /one of the most common passwords/],
  ['password1234', 'password1234', /one of the most common passwords/],
  ['qwertyuiop', 'qwertyuiop', /one of the most common passwords/],
  ['Summer2024!', 'Summer2024!', /too easy to guess/],
  ['the account’s email', (email) => email, /Your email address is the first thing/],
  ['the email’s local part', (email) => email.split('@')[0]!.toUpperCase(), /Your email address is the first thing/],
];

let db: Db;
let smtp: MailCatcher;
let t: TestApp;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
  t = buildTestApp(db, { SMTP_URL: smtp.url });
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

const passwordOf = (candidate: string | ((email: string) => string), email: string) =>
  typeof candidate === 'string' ? candidate : candidate(email);

async function resetToken(email: string): Promise<string> {
  await new Browser(t.app).post('/password/forgot', { email });
  const [mail] = await smtp.waitFor(email, 1, 'Reset your Smriti password');
  const link = mail?.text?.match(/\/password\/reset\?token=([\w.-]+)/)?.[1];
  if (!link) throw new Error('no reset link');
  return link;
}

describe('guessable passwords', () => {
  it('come from a list of at least 10,000 common passwords', async () => {
    expect(await commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it.each(GUESSABLE)('refuses %s at sign-up with 400 and a reason', async (_label, candidate, reason) => {
    const email = uniqueEmail('signup');
    const password = passwordOf(candidate, email);
    const res = await new Browser(t.app).post('/register', { email, password, password_confirm: password });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(reason);
    expect(res.text).toContain('Try three or four words');
    expect((await db.query('SELECT 1 FROM users WHERE email = $1', [email])).rows).toEqual([]);
  });

  it.each(GUESSABLE)('refuses %s as a new password with 400, and the old one still works', async (_label, candidate, reason) => {
    const { browser, email } = await signedInBrowser(t.app);
    const password = passwordOf(candidate, email);
    const res = await browser.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: password,
      new_password_confirm: password,
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(reason);
    expect((await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
  });

  it.each(GUESSABLE)('refuses %s through a reset link with 400, and the link still works', async (_label, candidate, reason) => {
    const { email } = await signedInBrowser(t.app);
    const token = await resetToken(email);
    const password = passwordOf(candidate, email);
    const res = await new Browser(t.app).post('/password/reset', { token, new_password: password, new_password_confirm: password });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(reason);
    expect((await new Browser(t.app).get(`/password/reset?token=${token}`)).status).toBe(200);
  });

  it('accepts a long random passphrase on all three routes', async () => {
    const email = uniqueEmail('strong');
    const signup = new Browser(t.app);
    expect((await signup.post('/register', { email, password: STRONG, password_confirm: STRONG })).status).toBe(303);
    const next = `${STRONG} again`;
    const changed = await signup.post('/account/password', { current_password: STRONG, new_password: next, new_password_confirm: next });
    expect(changed.status).toBe(303);
    const token = await resetToken(email);
    const reset = await new Browser(t.app).post('/password/reset', { token, new_password: STRONG, new_password_confirm: STRONG });
    expect(reset.status).toBe(303);
    expect(reset.headers.location).toBe('/login?flash=password_reset');
    expect((await new Browser(t.app).post('/login', { email, password: STRONG })).status).toBe(303);
  });

  it('does not write a refused password back into the form', async () => {
    const email = uniqueEmail();
    const res = await new Browser(t.app, TEST_ORIGIN).post('/register', { email, password: 'password', password_confirm: 'password' });
    expect(res.text).not.toContain('value="password"');
  });
});
