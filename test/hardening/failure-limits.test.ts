// Limits that count failures (DESIGN §8): a burst of concurrent guesses is counted before anything
// is checked, right answers never count against an address, and one outside mailbox gets only so
// many change-of-email links whoever asks.
import { generate } from 'otplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from '../../src/http/rate-limit.js';
import { Browser, buildTestApp, signedInBrowser, TEST_ORIGIN, TEST_PASSWORD, type TestApp, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';
import { SoftAuthenticator } from '../helpers/webauthn.js';

let db: Db;
let smtp: MailCatcher;
beforeAll(async () => {
  db = await createTestDb();
  smtp = await startMailCatcher();
});
afterAll(async () => {
  await smtp.close();
  await db.close();
});
// The per-address counters live in one table every app of this file shares: each test starts from none.
beforeEach(() => db.query('DELETE FROM rate_limits'));

const WRONG_CODE = 'aaaaa-aaaaa';
const codeAt = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });
/** Behind TRUST_PROXY=loopback, each browser may come from an address of its own. */
const from = (t: TestApp, address: string) => new Browser(t.app, TEST_ORIGIN, { 'X-Forwarded-For': address });

function app(limits: Partial<RateLimitSettings>, env: Record<string, string> = {}): TestApp {
  return buildTestApp(db, { TRUST_PROXY: 'loopback', SMTP_URL: smtp.url, STEP_UP_SECONDS: '3600', ...env }, undefined, limits);
}

/** A signed-out account with two-step sign-in on; answers its email and authenticator secret. */
async function accountWithTwoStep(t: TestApp): Promise<{ email: string; secret: string }> {
  const { browser, email } = await signedInBrowser(t.app);
  const page = await browser.get('/account/two-factor');
  const secret = page.text.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
  const code = await codeAt(secret, t.clock.now());
  expect((await browser.post('/account/two-factor/enable', { current_password: TEST_PASSWORD, code })).status).toBe(200);
  await browser.post('/logout');
  return { email, secret };
}

/** The password step from `address`: answers the browser holding a pending sign-in. */
async function pendingSignIn(t: TestApp, email: string, address: string): Promise<Browser> {
  const browser = from(t, address);
  const res = await browser.post('/login', { email, password: TEST_PASSWORD });
  expect(res.headers.location).toBe('/login/two-factor');
  return browser;
}

/** Codes actually checked and found wrong: each leaves one audit row. */
async function codesChecked(email: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_events WHERE user_id = (SELECT id FROM users WHERE email = $1) AND type = 'two_factor_failed'`,
    [email],
  );
  return rows[0]!.n;
}

async function pendingTries(email: string): Promise<number[]> {
  const { rows } = await db.query<{ failures: number }>(
    'SELECT failures FROM pending_sign_ins WHERE user_id = (SELECT id FROM users WHERE email = $1) ORDER BY failures',
    [email],
  );
  return rows.map((r) => r.failures);
}

describe('concurrent wrong codes', { timeout: 120_000 }, () => {
  it('checks at most five of 40 codes sent at once to one pending sign-in from one address', async () => {
    const t = app({});
    const { email } = await accountWithTwoStep(t);
    const browser = await pendingSignIn(t, email, '198.51.100.7');

    const answers = await Promise.all(Array.from({ length: 40 }, () => browser.post('/login/two-factor', { code: WRONG_CODE })));
    expect(answers.every((res) => res.status === 401 || res.status === 303)).toBe(true);
    // Five tries, each taken before its code was checked: five checked, and the rest never were.
    expect(await codesChecked(email)).toBe(5);
    expect(await pendingTries(email)).toEqual([5]);
    expect(answers.filter((res) => res.status === 401)).toHaveLength(4);
    // The fifth wrong code ends the pending sign-in; every later answer sends the person back to the password.
    expect(answers.filter((res) => res.headers.location === '/login?flash=two_factor_locked')).toHaveLength(1);
  });

  it('checks at most the account limit of 200 codes sent at once from 200 addresses to 20 pending sign-ins', async () => {
    const t = app({ failedSignInsPerAccount: { limit: 10, windowSeconds: 900 } });
    const { email } = await accountWithTwoStep(t);
    const browsers: Browser[] = [];
    for (let i = 0; i < 20; i += 1) browsers.push(await pendingSignIn(t, email, `203.0.113.${i}`));

    const guesses = Array.from({ length: 200 }, (_, i) => {
      const copy = from(t, `192.0.2.${i}`);
      copy.jar.set('smriti_pending_sign_in', browsers[i % 20]!.jar.get('smriti_pending_sign_in')!);
      return copy.post('/login/two-factor', { code: WRONG_CODE });
    });
    const answers = await Promise.all(guesses);
    expect(answers.every((res) => [303, 401, 429].includes(res.status))).toBe(true);
    const checked = await codesChecked(email);
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(10);
    expect(Math.max(...(await pendingTries(email)))).toBeLessThanOrEqual(5);
    expect(answers.filter((res) => res.status === 429).every((res) => Number(res.headers['retry-after']) > 0)).toBe(true);
    // The account's limit is spent, whichever form is used next.
    expect((await from(t, '192.0.2.250').post('/login', { email, password: TEST_PASSWORD })).status).toBe(429);
  });
});

describe('right answers never count against the address', { timeout: 120_000 }, () => {
  it('lets a family sign in 48 times from one address, with password, password and code, and passkey, and a few typos', async () => {
    const t = app(DEFAULT_RATE_LIMITS);
    const home = '198.51.100.20';
    const { email: parent } = await signedInBrowser(t.app);
    const { email: teen } = await signedInBrowser(t.app);
    const careful = await accountWithTwoStep(t);
    const { browser: owner } = await signedInBrowser(t.app);
    const authenticator = new SoftAuthenticator(TEST_ORIGIN);
    const added = authenticator.register((await owner.json('post', '/api/passkeys/add/options', {})).body);
    expect((await owner.post('/account/passkeys', { name: 'Phone', response: JSON.stringify(added) })).status).toBe(303);

    const statuses: number[] = [];
    for (let round = 0; round < 12; round += 1) {
      for (const email of [parent, teen]) {
        if (round % 4 === 0) statuses.push((await from(t, home).post('/login', { email, password: 'a typo' })).status);
        statuses.push((await from(t, home).post('/login', { email, password: TEST_PASSWORD })).status);
      }
      const browser = await pendingSignIn(t, careful.email, home);
      t.clock.advance(30);
      statuses.push((await browser.post('/login/two-factor', { code: await codeAt(careful.secret, t.clock.now()) })).status);
      const visitor = from(t, home);
      const options = (await visitor.json('post', '/api/passkeys/sign-in/options', {})).body;
      statuses.push((await visitor.post('/login/passkey', { response: JSON.stringify(authenticator.assert(options)) })).status);
    }
    expect(statuses).not.toContain(429);
    expect(statuses.filter((status) => status === 303)).toHaveLength(48);
    expect(statuses.filter((status) => status === 401)).toHaveLength(6);
  });
});

describe('codes on the account’s own forms', { timeout: 60_000 }, () => {
  it('count against the account, never the address: the owner is stopped, a neighbour still signs in', async () => {
    const t = app({ failedSignInsPerAccount: { limit: 4, windowSeconds: 900 }, loginPerIp: { limit: 2, windowSeconds: 900 } });
    const home = '198.51.100.30';
    const { email, secret } = await accountWithTwoStep(t);
    const browser = await pendingSignIn(t, email, home);
    t.clock.advance(30);
    expect((await browser.post('/login/two-factor', { code: await codeAt(secret, t.clock.now()) })).status).toBe(303);

    const wrong = { current_password: TEST_PASSWORD, code: WRONG_CODE };
    const statuses: number[] = [];
    for (let i = 0; i < 2; i += 1) statuses.push((await browser.post('/account/two-factor/disable', wrong)).status);
    for (let i = 0; i < 2; i += 1) statuses.push((await browser.post('/account/confirm', { ...wrong, next: '/account' })).status);
    t.clock.advance(30);
    const right = await browser.post('/account/two-factor/disable', {
      current_password: TEST_PASSWORD,
      code: await codeAt(secret, t.clock.now()),
    });
    statuses.push(right.status);
    expect(statuses).toEqual([400, 400, 401, 401, 429]);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(await codesChecked(email)).toBe(4);

    const { email: neighbour } = await signedInBrowser(t.app);
    expect((await from(t, home).post('/login', { email: neighbour, password: TEST_PASSWORD })).status).toBe(303);
  });
});

describe('change-of-email links to one outside address', { timeout: 60_000 }, () => {
  it('sends at most three an hour whichever accounts ask, refusing the rest with 429, and again after the hour', async () => {
    const t = app({}, { STEP_UP_SECONDS: '86400' });
    const outside = uniqueEmail('outside').toLowerCase();
    const accounts = await Promise.all(Array.from({ length: 6 }, () => signedInBrowser(t.app)));
    const ask = (browser: Browser) => browser.post('/account/email', { new_email: outside, current_password: TEST_PASSWORD });

    const answers = await Promise.all(accounts.map(({ browser }) => ask(browser)));
    expect(answers.map((res) => res.status).sort()).toEqual([303, 303, 303, 429, 429, 429]);
    for (const refused of answers.filter((res) => res.status === 429)) {
      expect(refused.text).toContain('That address was sent several links this hour.');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    const links = await db.query('SELECT 1 FROM email_links WHERE email = $1', [outside]);
    expect(links.rows).toHaveLength(3);
    expect(await smtp.waitFor(outside, 3)).toHaveLength(3);

    t.clock.advance(3601);
    const later = await ask(accounts[5]!.browser);
    expect(later.status).toBe(303);
    expect(later.headers.location).toBe('/account');
  });
});
