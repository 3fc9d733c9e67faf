import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { DEFAULT_RATE_LIMITS } from '../../src/http/rate-limit.js';
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
import { freePort } from '../helpers/server-process.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';

const NEW_PASSWORD = 'a brand new passphrase';
const MAIL_FROM = 'Smriti <no-reply@smriti.test>';
const EXPIRED = 'This link has expired or was already used';
// Security emails (a new device, a password reset) reach the same address: reset links are picked by subject.
const RESET_SUBJECT = 'Reset your Smriti password';

let db: Db;
let smtp: MailCatcher;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

function appWithMail(env: Record<string, string> = {}, clock = fakeClock(), rateLimits = {}): TestApp {
  return buildTestApp(db, { SMTP_URL: smtp.url, MAIL_FROM, ...env }, clock, rateLimits);
}

function linkIn(mail: ParsedMail): string {
  const link = mail.text?.match(/http:\/\/smriti\.test\/password\/reset\?token=[\w.-]+/)?.[0];
  if (!link) throw new Error(`no reset link in: ${mail.text}`);
  return link.slice(TEST_ORIGIN.length);
}

/** Asks for a reset link for `email` and returns its path once the email has arrived. */
async function requestLink(t: TestApp, email: string): Promise<string> {
  const already = smtp.to(email, RESET_SUBJECT).length;
  const res = await new Browser(t.app).post('/password/forgot', { email });
  expect(res.status).toBe(200);
  const mails = await smtp.waitFor(email, already + 1, RESET_SUBJECT);
  return linkIn(mails[already]!);
}

function resetWith(t: TestApp, path: string, password = NEW_PASSWORD) {
  const token = new URL(path, TEST_ORIGIN).searchParams.get('token')!;
  return new Browser(t.app).post('/password/reset', { token, new_password: password, new_password_confirm: password });
}

async function signInStatus(t: TestApp, email: string, password: string): Promise<number> {
  return (await new Browser(t.app).post('/login', { email, password })).status;
}

async function userIdOf(email: string): Promise<string> {
  return (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!.id;
}

describe('forgot password: the email', () => {
  it('links the sign-in page to the forgot-password page', async () => {
    const page = await new Browser(appWithMail().app).get('/login');
    expect(page.text).toContain('href="/password/forgot"');
    expect((await new Browser(appWithMail().app).get('/password/forgot')).status).toBe(200);
  });

  it('sends a registered address a link that sets a new password; the old one stops working', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    const mail = smtp.to(email, RESET_SUBJECT)[0]!;
    expect(mail.subject).toBe(RESET_SUBJECT);
    expect(mail.from?.value).toEqual([{ name: 'Smriti', address: 'no-reply@smriti.test' }]);
    expect(mail.text).toContain('within 30 minutes');

    const form = await new Browser(t.app).get(path);
    expect(form.status).toBe(200);
    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.headers['referrer-policy']).toBe('no-referrer');
    expect(form.text).toContain('Choose a new password');

    const res = await resetWith(t, path);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?flash=password_reset');
    expect((await new Browser(t.app).get('/login?flash=password_reset')).text).toContain('Your password was reset. Please sign in.');
    expect(await signInStatus(t, email, TEST_PASSWORD)).toBe(401);
    expect(await signInStatus(t, email, NEW_PASSWORD)).toBe(303);
  });

  it('stores only the SHA-256 of the secret, expiring after PASSWORD_RESET_EXPIRY_SECONDS', async () => {
    const t = appWithMail({ PASSWORD_RESET_EXPIRY_SECONDS: '900' });
    const { email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    expect(smtp.to(email, RESET_SUBJECT)[0]!.text).toContain('within 15 minutes');
    const token = new URL(path, TEST_ORIGIN).searchParams.get('token')!;
    const [userId, secret] = token.split('.') as [string, string];
    expect(userId).toBe(await userIdOf(email));
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    const rows = await db.query<{ token_hash: string; lifetime: number }>(
      `SELECT token_hash, extract(epoch FROM expires_at - created_at)::int AS lifetime FROM password_resets WHERE user_id = $1`,
      [userId],
    );
    expect(rows.rows).toEqual([{ token_hash: createHash('sha256').update(secret).digest('hex'), lifetime: 900 }]);
  });

  it('answers an unknown address with the same page and status, and sends it nothing', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const unknown = uniqueEmail('nobody');
    const forUnknown = await new Browser(t.app).post('/password/forgot', { email: unknown });
    const forKnown = await new Browser(t.app).post('/password/forgot', { email });
    expect(forUnknown.status).toBe(200);
    expect(forKnown.status).toBe(200);
    expect(forUnknown.text).toBe(forKnown.text);
    expect(forUnknown.text).toContain('If an account exists for that address');
    await smtp.waitFor(email, 1, RESET_SUBJECT);
    expect(smtp.to(unknown)).toHaveLength(0);
    expect(t.logs.text).not.toContain(unknown);
  });

  it('answers 400 with a message for an address that is not one', async () => {
    const res = await new Browser(appWithMail().app).post('/password/forgot', { email: 'not an address' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter a valid email address');
  });

  it('writes the email, link included, to the log as one structured line when SMTP_URL is unset', async () => {
    const t = buildTestApp(db);
    const { email } = await signedInBrowser(t.app);
    expect((await new Browser(t.app).post('/password/forgot', { email })).status).toBe(200);
    const line = await vi.waitFor(() => {
      const found = t.logs.lines.map((l) => JSON.parse(l)).find((l) => l.mail === 'password_reset' && l.email?.to === email);
      if (!found) throw new Error('no email log line yet');
      return found;
    });
    expect(line.link).toMatch(/^http:\/\/smriti\.test\/password\/reset\?token=/);
    expect(line.email.text).toContain(line.link);
    expect(line.email.from).toBe('Smriti <no-reply@localhost>');
    expect((await new Browser(t.app).get(line.link.slice(TEST_ORIGIN.length))).status).toBe(200);
  });

  it('logs a failing SMTP server and shows the person the usual page', async () => {
    const refusing = await startMailCatcher({ refuseRecipients: true });
    try {
      for (const url of [refusing.url, `smtp://127.0.0.1:${await freePort()}`]) {
        const t = buildTestApp(db, { SMTP_URL: url, MAIL_FROM });
        const { email } = await signedInBrowser(t.app);
        const res = await new Browser(t.app).post('/password/forgot', { email });
        expect(res.status).toBe(200);
        expect(res.text).toContain('If an account exists for that address');
        await vi.waitFor(() => expect(t.logs.text).toContain('email could not be sent'), { timeout: 15_000 });
      }
    } finally {
      await refusing.close();
    }
  });

  it('keeps the token out of the request log', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    await new Browser(t.app).get(path);
    const secret = path.split('.').pop()!;
    expect(t.logs.text).toContain('/password/reset?token=[redacted]');
    expect(t.logs.text).not.toContain(secret);
  });
});

describe('forgot password: limits', () => {
  const perAddress = DEFAULT_RATE_LIMITS.forgotPerEmail;
  // The limits are counted in the database, shared by every app on it: each test starts from zero.
  beforeEach(() => db.query('DELETE FROM rate_limits'));

  it('answers the 11th request in an hour for one address with 429 and Retry-After, known or not', async () => {
    const clock = fakeClock();
    const t = appWithMail({}, clock, { forgotPerEmail: perAddress });
    const { email } = await signedInBrowser(t.app);
    for (const address of [email, uniqueEmail('nobody')]) {
      for (let i = 0; i < 10; i++) expect((await new Browser(t.app).post('/password/forgot', { email: address })).status).toBe(200);
      const blocked = await new Browser(t.app).post('/password/forgot', { email: address.toUpperCase() });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(3000);
      expect(blocked.text).toContain('Too many password reset requests for this address');
    }
    expect(await smtp.waitFor(email, 10, RESET_SUBJECT)).toHaveLength(10);
    clock.advance(3601);
    expect((await new Browser(t.app).post('/password/forgot', { email })).status).toBe(200);
    await smtp.waitFor(email, 11, RESET_SUBJECT);
  });

  it('limits requests per IP address across different addresses', async () => {
    const t = appWithMail({}, fakeClock(), { forgotPerIp: { limit: 3, windowSeconds: 3600 } });
    for (let i = 0; i < 3; i++) expect((await new Browser(t.app).post('/password/forgot', { email: uniqueEmail() })).status).toBe(200);
    const blocked = await new Browser(t.app).post('/password/forgot', { email: uniqueEmail() });
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });

  it('sends at most 10 emails an hour to one account even across processes (both the limit and the mail cap are in the database)', async () => {
    const clock = fakeClock();
    const [a, b] = [appWithMail({}, clock, { forgotPerEmail: perAddress }), appWithMail({}, clock, { forgotPerEmail: perAddress })];
    const { email } = await signedInBrowser(a!.app);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await new Browser((i % 2 ? a : b)!.app).post('/password/forgot', { email })).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
    await smtp.waitFor(email, 10, RESET_SUBJECT);
    const userId = await userIdOf(email);
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1', [userId]);
    expect(rows.rows[0]!.n).toBe(10);
  });
});

describe('reset password: the link', () => {
  it('works once', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    expect((await resetWith(t, path)).status).toBe(303);
    const again = await new Browser(t.app).get(path);
    expect(again.status).toBe(400);
    expect(again.text).toContain(EXPIRED);
    expect(again.text).toContain('href="/password/forgot"');
    const reuse = await resetWith(t, path, 'a third passphrase');
    expect(reuse.status).toBe(400);
    expect(await signInStatus(t, email, 'a third passphrase')).toBe(401);
    expect(await signInStatus(t, email, NEW_PASSWORD)).toBe(303);
  });

  it('expires after PASSWORD_RESET_EXPIRY_SECONDS on the injected clock', async () => {
    const clock = fakeClock();
    const t = appWithMail({}, clock);
    const { email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    clock.advance(1799);
    expect((await new Browser(t.app).get(path)).status).toBe(200);
    clock.advance(2);
    const expired = await new Browser(t.app).get(path);
    expect(expired.status).toBe(400);
    expect(expired.text).toContain(EXPIRED);
    expect((await resetWith(t, path)).status).toBe(400);
    expect(await signInStatus(t, email, TEST_PASSWORD)).toBe(303);
  });

  it('refuses tampered tokens, and the real one still works', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const { email: otherEmail } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    const token = new URL(path, TEST_ORIGIN).searchParams.get('token')!;
    const [userId, secret] = token.split('.') as [string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    const tampered = [
      `${userId}.${flipped}`,
      `${await userIdOf(otherEmail)}.${secret}`,
      token.slice(0, -1),
      `${token}A`,
      secret,
      '',
      `${userId}.${secret}'--`,
    ];
    for (const bad of tampered) {
      const page = await new Browser(t.app).get(`/password/reset?token=${encodeURIComponent(bad)}`);
      expect(page.status, bad).toBe(400);
      const post = await new Browser(t.app).post('/password/reset', {
        token: bad,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      });
      expect(post.status, bad).toBe(400);
      expect(post.text).toContain(EXPIRED);
    }
    expect(await signInStatus(t, otherEmail, NEW_PASSWORD)).toBe(401);
    expect((await resetWith(t, path)).status).toBe(303);
  });

  it('answers 400 with the form for a bad new password, and the link still works after', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    const short = await resetWith(t, path, 'short');
    expect(short.status).toBe(400);
    expect(short.text).toContain('Use at least 8 characters.');
    const token = new URL(path, TEST_ORIGIN).searchParams.get('token')!;
    const mismatch = await new Browser(t.app).post('/password/reset', {
      token,
      new_password: NEW_PASSWORD,
      new_password_confirm: `${NEW_PASSWORD}!`,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('The two new passwords do not match.');
    expect((await resetWith(t, path)).status).toBe(303);
  });

  it('kills the other outstanding links and records the audit events', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const first = await requestLink(t, email);
    const second = await requestLink(t, email);
    expect((await resetWith(t, second)).status).toBe(303);
    expect((await new Browser(t.app).get(first)).status).toBe(400);
    const events = await db.query<{ type: string }>('SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id', [
      await userIdOf(email),
    ]);
    expect(events.rows.map((e) => e.type)).toEqual([
      'registered',
      'password_reset_requested',
      'password_reset_requested',
      'password_reset',
    ]);
  });

  it('is killed by a password change on the account page', async () => {
    const t = appWithMail();
    const { browser, email } = await signedInBrowser(t.app);
    const path = await requestLink(t, email);
    const changed = await browser.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(changed.status).toBe(303);
    expect((await new Browser(t.app).get(path)).status).toBe(400);
    expect((await resetWith(t, path, 'someone else chose this')).status).toBe(400);
    expect(await signInStatus(t, email, NEW_PASSWORD)).toBe(303);
  });

  it("ends every earlier session: each one's refresh token is refused", async () => {
    const t = appWithMail();
    const { browser: laptop, email } = await signedInBrowser(t.app);
    const phone = new Browser(t.app);
    expect((await phone.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    const path = await requestLink(t, email);
    expect((await resetWith(t, path)).status).toBe(303);
    for (const device of [laptop, phone]) {
      const refresh = await device.post('/refresh');
      expect(refresh.status).toBe(401);
      expect(refresh.body.error).toBe('refresh_revoked');
      expect(device.jar.get(REFRESH_COOKIE)).toBeUndefined();
    }
    const live = await db.query<{ reason: string | null }>(
      'SELECT DISTINCT revoked_reason AS reason FROM refresh_tokens WHERE user_id = $1',
      [await userIdOf(email)],
    );
    expect(live.rows).toEqual([{ reason: 'password_reset' }]);
  });
});
