import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildContext } from '../../src/app.js';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { DEVICE_COOKIE } from '../../src/auth/devices.js';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { sendSecurityEmail } from '../../src/notify/security-email.js';
import {
  Browser,
  buildTestApp,
  fakeClock,
  LogCapture,
  signedInBrowser,
  TEST_PASSWORD,
  type TestApp,
  testConfig,
  uniqueEmail,
} from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { freePort } from '../helpers/server-process.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';

const MAC_CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ANDROID_FIREFOX = 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0';
const METRICS_TOKEN = 'metrics-token-for-the-security-email-tests';
const SUBJECTS = {
  newDevice: 'New sign-in to your Smriti account',
  theft: 'We signed out a session of your Smriti account',
  passwordChanged: 'Your Smriti password was changed',
  passwordReset: 'Your Smriti password was reset',
};

let db: Db;
let smtp: MailCatcher;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

const appWithMail = (env: Record<string, string> = {}, clock = fakeClock()) =>
  buildTestApp(db, { SMTP_URL: smtp.url, METRICS_TOKEN, ...env }, clock);

function browserOn(t: TestApp, userAgent: string): Browser {
  const browser = new Browser(t.app);
  browser.headers['User-Agent'] = userAgent;
  return browser;
}

/** The log lines written once a sign-in's device was looked at, after its response. */
function deviceLines(t: TestApp, userId?: string): Array<{ newDevice: boolean; announced: boolean }> {
  return t.logs.lines
    .map((line) => JSON.parse(line) as { msg: string; userId?: string; newDevice: boolean; announced: boolean })
    .filter((line) => line.msg === 'sign-in device recorded' && (userId === undefined || line.userId === userId))
    .map(({ newDevice, announced }) => ({ newDevice, announced }));
}

async function waitForDevices(t: TestApp, userId: string, count: number) {
  await vi.waitFor(() => expect(deviceLines(t, userId)).toHaveLength(count), { timeout: 10_000, interval: 10 });
  return deviceLines(t, userId);
}

async function userIdOf(email: string): Promise<string> {
  return (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!.id;
}

async function signIn(browser: Browser, email: string, password = TEST_PASSWORD) {
  const res = await browser.post('/login', { email, password });
  expect(res.status).toBe(303);
  return res;
}

async function securityEmailCount(t: TestApp, kind: string, outcome: string): Promise<number | undefined> {
  const res = await request(t.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
  return sampleValue(parsePrometheus(res.text), 'smriti_security_email_total', { kind, outcome });
}

const oneMail = async (email: string, subject: string): Promise<ParsedMail> => (await smtp.waitFor(email, 1, subject))[0]!;

describe('the device cookie', () => {
  it('is set at sign-in: random, HttpOnly, SameSite=Lax, a year long, on the auth cookies’ path, nothing personal', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const res = await signIn(new Browser(t.app), email);
    const cookie = parseSetCookies(res).find((c) => c.name === DEVICE_COOKIE)!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.value).not.toContain(email.split('@')[0]);
    expect(cookie.attributes).toMatchObject({ httponly: true, samesite: 'Lax', path: '/', 'max-age': '31536000' });
    expect(cookie.attributes.secure).toBeUndefined();
    const secure = buildTestApp(db, { COOKIE_SECURE: 'true', COOKIE_PATH: '/' });
    const secureRes = await signIn(new Browser(secure.app), email);
    expect(parseSetCookies(secureRes).find((c) => c.name === DEVICE_COOKIE)!.attributes.secure).toBe(true);
  });

  it('is renewed with the same id at each sign-in, and the table keeps only a digest of it', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const userId = await userIdOf(email);
    const laptop = new Browser(t.app);
    const first = parseSetCookies(await signIn(laptop, email)).find((c) => c.name === DEVICE_COOKIE)!;
    const again = parseSetCookies(await signIn(laptop, email)).find((c) => c.name === DEVICE_COOKIE)!;
    expect(again.value).toBe(first.value);
    expect(again.attributes['max-age']).toBe('31536000');
    await waitForDevices(t, userId, 3);
    const rows = await db.query<{ device_hash: string }>('SELECT device_hash FROM user_devices WHERE user_id = $1', [userId]);
    expect(rows.rows).toHaveLength(2);
    for (const row of rows.rows) {
      expect(row.device_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.device_hash).not.toContain(first.value);
    }
    expect(t.logs.text).not.toContain(first.value);
  });

  it('replaces a junk device cookie with a fresh random one', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const browser = new Browser(t.app);
    browser.jar.set(DEVICE_COOKIE, 'not-a-device-id');
    const cookie = parseSetCookies(await signIn(browser, email)).find((c) => c.name === DEVICE_COOKIE)!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('new-device emails', () => {
  it('sends one at the first sign-in on a new browser, naming the device, IP, time and the account page', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    const userId = await userIdOf(email);
    await signIn(browserOn(t, MAC_CHROME), email);
    const mail = await oneMail(email, SUBJECTS.newDevice);
    expect(mail.text).toContain('Device: Chrome on macOS');
    expect(mail.text).toContain('IP address: 127.0.0.1');
    expect(mail.text).toMatch(/Time: \d{1,2} \w+ \d{4} at \d\d:\d\d \(UTC\)/);
    expect(mail.text).toContain('http://smriti.test/account');
    expect(mail.html).toContain('<a href="http://smriti.test/account">');
    expect(mail.html).toContain('<strong>Chrome on macOS</strong>');
    // Each sign-in's device is looked at after its response, so the lines may come in either order.
    expect(await waitForDevices(t, userId, 2)).toEqual(
      expect.arrayContaining([
        { newDevice: true, announced: false },
        { newDevice: true, announced: true },
      ]),
    );
  });

  it('sends none for the browser the account was made in, nor for a second sign-in with the same device cookie', async () => {
    const t = appWithMail();
    const { browser, email } = await signedInBrowser(t.app);
    const userId = await userIdOf(email);
    await browser.post('/logout');
    await signIn(browser, email);
    const phone = browserOn(t, ANDROID_FIREFOX);
    await signIn(phone, email);
    await phone.post('/logout');
    await signIn(phone, email);
    const lines = await waitForDevices(t, userId, 4);
    expect(lines.filter((l) => l.newDevice)).toHaveLength(2);
    expect(lines.filter((l) => l.announced)).toEqual([{ newDevice: true, announced: true }]);
    await smtp.waitFor(email, 1, SUBJECTS.newDevice);
    expect(smtp.to(email, SUBJECTS.newDevice)).toHaveLength(1);
    expect(smtp.to(email, SUBJECTS.newDevice)[0]!.text).toContain('Firefox on Android');
  });

  it('tells the owner about at most three cookie-less sign-ins a day, and again the next day', async () => {
    const clock = fakeClock();
    const t = appWithMail({}, clock);
    const { email } = await signedInBrowser(t.app);
    const userId = await userIdOf(email);
    for (let i = 0; i < 5; i++) await signIn(new Browser(t.app), email);
    expect((await waitForDevices(t, userId, 6)).filter((l) => l.announced)).toHaveLength(3);
    clock.advance(24 * 60 * 60 + 1);
    await signIn(new Browser(t.app), email);
    expect((await waitForDevices(t, userId, 7)).filter((l) => l.announced)).toHaveLength(4);
    expect(await smtp.waitFor(email, 4, SUBJECTS.newDevice)).toHaveLength(4);
  });
});

describe('other security emails', () => {
  it('tells the owner when a replayed refresh token ended a session, and which one', async () => {
    const clock = fakeClock();
    const t = appWithMail({}, clock);
    const { email } = await signedInBrowser(t.app);
    const laptop = browserOn(t, MAC_CHROME);
    await signIn(laptop, email);
    const stolen = laptop.jar.get(REFRESH_COOKIE)!;
    expect((await laptop.post('/refresh')).status).toBe(200);
    clock.advance(60);
    const thief = browserOn(t, ANDROID_FIREFOX);
    thief.jar.set(REFRESH_COOKIE, stolen);
    const replay = await thief.post('/refresh');
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('refresh_reused');
    const mail = await oneMail(email, SUBJECTS.theft);
    expect(mail.text).toMatch(/Session ended: Chrome on macOS, signed in \d{1,2} \w+ \d{4} at \d\d:\d\d \(UTC\)/);
    expect(mail.text).toContain('Token sent from: Firefox on Android, IP address 127.0.0.1');
    expect(mail.text).toContain('change your password');
    expect(t.logs.text).not.toContain(stolen);
  });

  it('tells the owner their password was changed, and was reset', async () => {
    const t = appWithMail();
    const { browser, email } = await signedInBrowser(t.app);
    browser.headers['User-Agent'] = MAC_CHROME;
    const next = 'marmalade orbits the velvet lighthouse';
    const changed = await browser.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: next,
      new_password_confirm: next,
    });
    expect(changed.status).toBe(303);
    const changedMail = await oneMail(email, SUBJECTS.passwordChanged);
    expect(changedMail.text).toContain('Device: Chrome on macOS');
    expect(changedMail.text).toContain('http://smriti.test/password/forgot');

    await new Browser(t.app).post('/password/forgot', { email });
    const link = (await oneMail(email, 'Reset your Smriti password')).text!.match(/token=([\w.-]+)/)![1]!;
    const reset = await new Browser(t.app).post('/password/reset', {
      token: link,
      new_password: TEST_PASSWORD,
      new_password_confirm: TEST_PASSWORD,
    });
    expect(reset.status).toBe(303);
    const resetMail = await oneMail(email, SUBJECTS.passwordReset);
    expect(resetMail.text).toContain('every session was signed out');
    expect(resetMail.text).not.toContain(link);
  });

  it('sends the kinds other features ask for: email changed (to the old address), two-step off, passkey added', async () => {
    const logs = new LogCapture();
    const ctx = buildContext(testConfig({ SMTP_URL: smtp.url }), { db, logger: createLogger('info', logs) });
    const { email } = await signedInBrowser(buildTestApp(db).app);
    const userId = await userIdOf(email);
    const previous = uniqueEmail('previous');
    sendSecurityEmail(ctx, userId, 'email_changed', { previousEmail: previous, ip: '::ffff:198.51.100.7', userAgent: MAC_CHROME });
    sendSecurityEmail(ctx, userId, 'two_factor_disabled', { ip: '2001:db8::1' });
    sendSecurityEmail(ctx, userId, 'passkey_added', { passkeyName: 'Work <laptop>', userAgent: ANDROID_FIREFOX });
    const moved = await oneMail(previous, 'The email address of your Smriti account was changed');
    expect(moved.text).toContain('IP address: 198.51.100.7');
    expect((await oneMail(email, 'Two-step sign-in was turned off for your Smriti account')).text).toContain('IP address: 2001:db8::1');
    const passkey = await oneMail(email, 'A passkey was added to your Smriti account');
    expect(passkey.text).toContain('Passkey: Work <laptop>');
    expect(passkey.html).toContain('Work &lt;laptop&gt;');
    expect(smtp.to(email, 'The email address of your Smriti account was changed')).toHaveLength(0);
  });
});

describe('when the mail server is down', () => {
  it('still signs in, and counts and logs the failed email', async () => {
    const t = buildTestApp(db, { SMTP_URL: `smtp://127.0.0.1:${await freePort()}`, METRICS_TOKEN });
    const { email } = await signedInBrowser(t.app);
    const browser = new Browser(t.app);
    await signIn(browser, email);
    expect((await browser.get('/journal')).status).toBe(200);
    await vi.waitFor(async () => expect(await securityEmailCount(t, 'new_device', 'failed')).toBe(1), { timeout: 15_000, interval: 50 });
    expect(await securityEmailCount(t, 'new_device', 'sent')).toBe(0);
    expect(t.logs.text).toContain('email could not be sent');
    expect(t.logs.text).not.toContain('http://smriti.test/account');
  });

  it('counts a sent email as sent', async () => {
    const t = appWithMail();
    const { email } = await signedInBrowser(t.app);
    await signIn(new Browser(t.app), email);
    await vi.waitFor(async () => expect(await securityEmailCount(t, 'new_device', 'sent')).toBe(1), { timeout: 15_000, interval: 50 });
  });
});
