import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import {
  Browser,
  buildTestApp,
  fakeClock,
  signedInBrowser,
  TEST_ORIGIN,
  TEST_PASSWORD,
  type TestApp,
  uniqueEmail,
} from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';

const VERIFY = 'Confirm your email for Smriti';
const CHANGE = 'Confirm your new email for Smriti';
const NOTICE = 'The email address of your Smriti account was changed';
const RESET = 'Reset your Smriti password';

let db: Db;
let smtp: MailCatcher;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

function appWithMail(clock = fakeClock(), env: Record<string, string> = {}): TestApp {
  return buildTestApp(db, { SMTP_URL: smtp.url, MAIL_FROM: 'Smriti <no-reply@smriti.test>', STEP_UP_SECONDS: '600', ...env }, clock);
}

function linkIn(mail: ParsedMail): string {
  const link = mail.text?.match(/http:\/\/smriti\.test\/email\/verify\?token=[\w.-]+/)?.[0];
  if (!link) throw new Error(`no email link in: ${mail.text}`);
  return link.slice(TEST_ORIGIN.length);
}

async function newestLink(email: string, subject: string, count = 1): Promise<string> {
  const mails = await smtp.waitFor(email, count, subject);
  return linkIn(mails[count - 1]!);
}

async function verifiedAt(email: string): Promise<Date | null> {
  const rows = await db.query<{ at: Date | null }>('SELECT email_verified_at AS at FROM users WHERE lower(email) = lower($1)', [email]);
  return rows.rows[0]!.at;
}

describe('email verification', () => {
  it('mails a link at registration; it verifies the address once, and the journal works before it', async () => {
    const t = appWithMail();
    const { browser, email } = await signedInBrowser(t.app);
    expect((await browser.json('post', '/api/entries', { title: 'Day one', body: 'Before verifying' })).status).toBe(201);
    const account = await browser.get('/account');
    expect(account.text).toContain('is not verified yet');
    expect(await verifiedAt(email)).toBeNull();

    const path = await newestLink(email, VERIFY);
    const opened = await new Browser(t.app).get(path);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('is verified');
    expect(opened.headers['referrer-policy']).toBe('no-referrer');
    expect(await verifiedAt(email)).toBeInstanceOf(Date);
    expect((await browser.get('/account')).text).toMatch(/is verified/);

    // Opened a second time (defect 9 of issue 34): it says the address is verified, not that the link is bad.
    const again = await new Browser(t.app).get(path);
    expect(again.status).toBe(200);
    expect(again.text).toContain('Email already verified');
    expect(again.text).not.toContain('This link cannot be used');
  });

  it('says truly whether reset links go to an unverified address: for its first day, then not (defect 9 of issue 34)', async () => {
    const clock = fakeClock();
    const t = appWithMail(clock);
    const { browser, email } = await signedInBrowser(t.app);
    const first = (await browser.get('/account')).text;
    expect(first).toContain('Password-reset links still go to it until');
    expect(first).not.toContain('password-reset links are not sent to it');
    expect((await new Browser(t.app).post('/password/forgot', { email })).status).toBe(200);
    await smtp.waitFor(email, 1, RESET);
    clock.advance(24 * 3600 + 60);
    const later = (await browser.get('/account')).text;
    expect(later).toContain('Until then, password-reset links are not sent to it.');
  });

  it('stores only the SHA-256 of the secret and never logs the token', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const path = await newestLink(email, VERIFY);
    const secret = path.split('.').pop()!;
    const rows = await db.query<{ token_hash: string }>(
      'SELECT token_hash FROM email_links l JOIN users u ON u.id = l.user_id WHERE lower(u.email) = lower($1)',
      [email],
    );
    expect(rows.rows).toEqual([{ token_hash: createHash('sha256').update(secret).digest('hex') }]);
    await new Browser(t.app).get(path);
    expect(t.logs.text).not.toContain(secret);
  });

  it('refuses a tampered link and one older than 24 hours', async () => {
    const clock = fakeClock();
    const t = appWithMail(clock);
    const { email } = await signedInBrowser(t.app);
    const path = await newestLink(email, VERIFY);
    const last = path.at(-1) === 'A' ? 'B' : 'A';
    expect((await new Browser(t.app).get(`${path.slice(0, -1)}${last}`)).status).toBe(400);
    expect((await new Browser(t.app).get('/email/verify?token=nonsense')).status).toBe(400);
    expect((await new Browser(t.app).get('/email/verify')).status).toBe(400);
    clock.advance(24 * 3600 + 1);
    expect((await new Browser(t.app).get(path)).status).toBe(400);
    expect(await verifiedAt(email)).toBeNull();
  });

  it('resends from /account, only the newest link works, and the fourth link in an hour is refused with 429', async () => {
    const clock = fakeClock();
    const t = appWithMail(clock);
    const { browser, email } = await signedInBrowser(t.app);
    const first = await newestLink(email, VERIFY);
    const resent = await browser.post('/account/email/verify');
    expect(resent.status).toBe(303);
    const second = await newestLink(email, VERIFY, 2);
    expect((await browser.post('/account/email/verify')).status).toBe(303);
    await smtp.waitFor(email, 3, VERIFY);
    const limited = await browser.post('/account/email/verify');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3000);
    expect(limited.text).toContain('You asked for several links this hour');

    expect((await new Browser(t.app).get(first)).status).toBe(400);
    expect((await new Browser(t.app).get(second)).status).toBe(400);
    const third = await newestLink(email, VERIFY, 3);
    expect((await new Browser(t.app).get(third)).status).toBe(200);
    clock.advance(3601);
    const done = await browser.post('/account/email/verify');
    expect(done.status).toBe(303);
    expect((await browser.get('/account')).text).toContain('Your email is already verified.');
  });
});

describe('password reset needs a proved address', () => {
  it('sends a new unverified account a link, an unverified one older than 24 hours none, and a verified one a link', async () => {
    const clock = fakeClock();
    const t = appWithMail(clock);
    const { email } = await signedInBrowser(t.app);
    await smtp.waitFor(email, 1, VERIFY);
    const forgot = () => new Browser(t.app).post('/password/forgot', { email });
    const fresh = await forgot();
    expect(fresh.status).toBe(200);
    await smtp.waitFor(email, 1, RESET);

    clock.advance(24 * 3600 + 60);
    const old = await forgot();
    expect(old.status).toBe(200);
    expect(old.text).toBe(fresh.text);
    const unknown = await new Browser(t.app).post('/password/forgot', { email: uniqueEmail('nobody') });
    expect(unknown.text).toBe(old.text);

    const resent = await signInAndResend(t, email);
    expect((await new Browser(t.app).get(resent)).status).toBe(200);
    await forgot();
    await smtp.waitFor(email, 2, RESET);
    expect(smtp.to(email, RESET)).toHaveLength(2);
  });
});

async function signInAndResend(t: TestApp, email: string): Promise<string> {
  const browser = new Browser(t.app);
  expect((await browser.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
  const before = smtp.to(email, VERIFY).length;
  expect((await browser.post('/account/email/verify')).status).toBe(303);
  return newestLink(email, VERIFY, before + 1);
}

describe('changing the email', () => {
  it('changes only when the link sent to the new address is opened, tells the old one, and ends the other sessions', async () => {
    const t = appWithMail();
    const { browser, email } = await signedInBrowser(t.app);
    const phone = new Browser(t.app);
    expect((await phone.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    const newEmail = uniqueEmail('moved');

    const asked = await browser.post('/account/email', { new_email: newEmail, current_password: TEST_PASSWORD });
    expect(asked.status).toBe(303);
    expect((await browser.get('/account')).text).toContain(`We sent a link to ${newEmail}`);
    const path = await newestLink(newEmail, CHANGE);
    expect(smtp.to(email, CHANGE)).toHaveLength(0);
    const still = await db.query<{ email: string }>('SELECT email FROM users WHERE lower(email) = lower($1)', [email]);
    expect(still.rows).toHaveLength(1);
    expect((await phone.get('/journal')).status).toBe(200);

    const opened = await browser.get(path);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain(`Your email is now ${newEmail}`);
    expect(opened.text).toContain('one other session was signed out');
    const [notice] = await smtp.waitFor(email, 1, NOTICE);
    expect(notice!.text).toContain(newEmail);
    expect(await verifiedAt(newEmail)).toBeInstanceOf(Date);

    const refused = await request(t.app)
      .post('/refresh')
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', `${REFRESH_COOKIE}=${phone.jar.get(REFRESH_COOKIE)}`);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('refresh_revoked');
    expect((await browser.get('/account')).text).toContain(newEmail);
    expect((await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(401);
    expect((await new Browser(t.app).post('/login', { email: newEmail, password: TEST_PASSWORD })).status).toBe(303);
    const events = await db.query<{ type: string }>(
      "SELECT type FROM audit_events WHERE user_id = (SELECT id FROM users WHERE email = $1) AND type LIKE 'email_%' ORDER BY id",
      [newEmail.toLowerCase()],
    );
    expect(events.rows.map((r) => r.type)).toEqual(['email_change_requested', 'email_changed']);
    expect((await browser.get(path)).status).toBe(400);
  });

  it('keeps the email when the new address was taken before the link was opened', async () => {
    const t = appWithMail();
    const { browser, email } = await signedInBrowser(t.app);
    const wanted = uniqueEmail('wanted');
    expect((await browser.post('/account/email', { new_email: wanted, current_password: TEST_PASSWORD })).status).toBe(303);
    const path = await newestLink(wanted, CHANGE);
    await signedInBrowser(t.app, wanted);
    const opened = await browser.get(path);
    expect(opened.status).toBe(409);
    expect(opened.text).toContain('Another Smriti account now uses that address');
    expect((await browser.get('/account')).text).toContain(email);
  });

  it('refuses a wrong password, a taken or invalid address, and asks for a fresh sign-in after STEP_UP_SECONDS', async () => {
    const clock = fakeClock();
    const t = appWithMail(clock);
    const { browser } = await signedInBrowser(t.app);
    const { email: other } = await signedInBrowser(t.app);
    const wrong = await browser.post('/account/email', { new_email: uniqueEmail(), current_password: 'not my password' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That is not your current password.');
    const taken = await browser.post('/account/email', { new_email: other.toUpperCase(), current_password: TEST_PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('Another account already uses this email.');
    const invalid = await browser.post('/account/email', { new_email: 'not an address', current_password: TEST_PASSWORD });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('Enter a valid email address');

    clock.advance(601);
    const stale = await browser.post('/account/email', { new_email: uniqueEmail(), current_password: TEST_PASSWORD });
    expect(stale.status).toBe(303);
    expect(stale.headers.location).toMatch(/^\/account\/confirm\?next=/);
  });
});
