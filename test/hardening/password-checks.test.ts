import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/app.js';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { storedHashCost, verifySignInPassword } from '../../src/auth/password-checks.js';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { Browser, buildTestApp, LogCapture, signedInBrowser, TEST_PASSWORD, testConfig, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

// One database for the file, each test with apps and users of its own.
let db: Db;
beforeAll(async () => {
  db = await createTestDb();
  return () => db.close();
});

const LIMITS = { failedSignInsPerAccount: { limit: 10, windowSeconds: 900 } };
const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

async function auditTypes(userId: string): Promise<string[]> {
  const { rows } = await db.query<{ type: string }>('SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id', [userId]);
  return rows.map((r) => r.type);
}

// The route, its form with a password guess, and the answer to the right password once the window is over.
const WRONG_TRIES: Array<[string, (guess: string) => Record<string, string>, number]> = [
  ['POST /account/delete', (guess) => ({ current_password: guess }), 303],
  [
    'POST /account/password',
    (guess) => ({ current_password: guess, new_password: 'a new password 1', new_password_confirm: 'a new password 1' }),
    303,
  ],
  // The code is made up, so past the window the password passes and the code is refused.
  ['POST /account/two-factor/enable', (guess) => ({ current_password: guess, code: '123456' }), 400],
];

describe('checking the current password', { timeout: 90_000 }, () => {
  it.each(WRONG_TRIES)(
    '%s: 20 wrong tries reach 429 with Retry-After, then even the right one waits out the window',
    async (route, form, afterWindow) => {
      // A step-up window longer than the limit's, so the last answer is the route's own, not /account/confirm.
      const t = buildTestApp(db, { STEP_UP_SECONDS: '3600' }, undefined, LIMITS);
      const { browser, email } = await signedInBrowser(t.app);
      const path = route.split(' ')[1]!;
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const res = await browser.post(path, form(`wrong guess ${i}`));
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(res.text).toContain('Too many wrong passwords for this account.');
          // A plain page, not the form again: a flood of refused guesses costs next to nothing.
          expect(res.text).not.toContain('name="current_password"');
        }
      }
      expect(statuses).toEqual([...Array(10).fill(400), ...Array(10).fill(429)]);
      const right = await browser.post(path, form(TEST_PASSWORD));
      expect(right.status).toBe(429);
      // The same account at the sign-in form is locked out too: one limit.
      const login = await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD });
      expect(login.status).toBe(429);
      const types = await auditTypes(userIdOf(browser));
      expect(types.filter((type) => type === 'password_check_failed')).toHaveLength(10);
      // One row for the refusal window (the process then answers from memory), a log line for each.
      expect(types.filter((type) => type === 'password_check_limited')).toHaveLength(1);
      const logged = t.logs.lines.filter((line) => line.includes('"audit":"password_check_limited"'));
      expect(logged).toHaveLength(11);

      t.clock.advance(901);
      const after = await browser.post(path, form(TEST_PASSWORD));
      expect(after.status).toBe(afterWindow);
      expect(after.headers.location ?? '').not.toContain('/account/confirm');
    },
  );

  it('counts wrong current passwords against the account only: 30 of them leave another person at the same address able to sign in', async () => {
    // Every app on this database counts in the same per-address rows: start them from zero.
    await db.query('DELETE FROM rate_limits');
    const limits = { ...LIMITS, loginPerIp: { limit: 10, windowSeconds: 900 } };
    const t = buildTestApp(db, { STEP_UP_SECONDS: '3600' }, undefined, limits);
    const { browser } = await signedInBrowser(t.app);
    const { email: neighbour } = await signedInBrowser(t.app);
    const forms: Array<[string, (guess: string) => Record<string, string>]> = [
      ['/account/delete', (guess) => ({ current_password: guess })],
      [
        '/account/password',
        (guess) => ({ current_password: guess, new_password: 'a new password 1', new_password_confirm: 'a new password 1' }),
      ],
      ['/account/confirm', (guess) => ({ current_password: guess, next: '/account' })],
    ];
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const [path, form] = forms[i % forms.length]!;
      statuses.push((await browser.post(path, form(`wrong guess ${i}`))).status);
    }
    expect(statuses.slice(0, 10).every((status) => status === 400 || status === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual(Array(20).fill(429));

    // Same address, another account: its sign-in is neither refused nor slowed by the guesses.
    expect((await new Browser(t.app).post('/login', { email: neighbour, password: TEST_PASSWORD })).status).toBe(303);
    // A wrong password at the sign-in form still counts against the address.
    for (let i = 0; i < 10; i += 1)
      expect((await new Browser(t.app).post('/login', { email: neighbour, password: `typo ${i}` })).status).toBe(401);
    expect((await new Browser(t.app).post('/login', { email: neighbour, password: TEST_PASSWORD })).status).toBe(429);
  });

  it('a flood of wrong guesses from one session gets 429s at once, never more than three in the queue, while another user signs in', async () => {
    const t = buildTestApp(db, {}, undefined, LIMITS);
    const { browser } = await signedInBrowser(t.app);
    const { email: otherEmail } = await signedInBrowser(t.app);
    // A slow stored hash (cost 13) keeps the flood's guesses in the queue while the rest arrive.
    const slow = await bcrypt.hash(TEST_PASSWORD, 13);
    await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userIdOf(browser), slow]);

    const flood = Array.from({ length: 60 }, (_, i) => browser.post('/account/delete', { current_password: `guess ${i}` }));
    const otherSignIn = new Browser(t.app).post('/login', { email: otherEmail, password: TEST_PASSWORD });
    const answers = await Promise.all(flood);
    expect((await otherSignIn).status).toBe(303);

    const count = (status: number) => answers.filter((res) => res.status === status).length;
    expect(count(400) + count(429)).toBe(60);
    // Each guess takes its try of the account's limit before it is checked: no more than the limit are.
    expect(count(400)).toBeLessThanOrEqual(LIMITS.failedSignInsPerAccount.limit);
    expect(count(429)).toBeGreaterThanOrEqual(60 - LIMITS.failedSignInsPerAccount.limit);
    expect(answers.filter((res) => res.status === 429).every((res) => Number(res.headers['retry-after']) > 0)).toBe(true);
    expect((await browser.get('/journal')).status).toBe(200);
  });

  it('answers 503 with Retry-After when the bcrypt queue is full, instead of a long wait', async () => {
    const t = buildTestApp(db, {}, undefined, {}, { passwordQueue: { parallel: 1, maxWaiting: 1, maxPerAccount: 3 } });
    const emails = [uniqueEmail(), uniqueEmail(), uniqueEmail()];
    for (const email of emails) await signedInBrowser(t.app, email);
    const slow = await bcrypt.hash(TEST_PASSWORD, 13);
    await db.query('UPDATE users SET password_hash = $1 WHERE email = ANY($2)', [slow, emails]);

    const answers = await Promise.all(emails.map((email) => new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([303, 303, 503]);
    const refused = answers.find((res) => res.status === 503)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.text).toContain('Please try again in a few seconds.');
  });
});

describe('bcrypt cost changes', { timeout: 90_000 }, () => {
  it('re-hashes a password stored at another cost on a successful sign-in, and only then', async () => {
    const old = buildTestApp(db, { BCRYPT_ROUNDS: '4' });
    const { email } = await signedInBrowser(old.app);
    const hashOf = async () => (await db.query<{ h: string }>('SELECT password_hash AS h FROM users WHERE email = $1', [email])).rows[0]!.h;
    expect(await hashOf()).toMatch(/^\$2b\$04\$/);

    const raised = buildTestApp(db, { BCRYPT_ROUNDS: '5' });
    expect((await new Browser(raised.app).post('/login', { email, password: 'a wrong password' })).status).toBe(401);
    expect(await hashOf()).toMatch(/^\$2b\$04\$/);
    expect((await new Browser(raised.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    const upgraded = await hashOf();
    expect(upgraded).toMatch(/^\$2b\$05\$/);
    expect(await bcrypt.compare(TEST_PASSWORD, upgraded)).toBe(true);
    // Lowering the cost reaches it too, and the password keeps working throughout.
    const lowered = buildTestApp(db, { BCRYPT_ROUNDS: '4' });
    expect((await new Browser(lowered.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    expect(await hashOf()).toMatch(/^\$2b\$04\$/);
    expect(raised.logs.text).toContain('password re-hashed at the configured cost');
    expect(raised.logs.text).not.toContain(TEST_PASSWORD);
  });

  it('checks an unknown email against a dummy hash at the cost of the stored hashes, not BCRYPT_ROUNDS', async () => {
    const t = buildTestApp(db, { BCRYPT_ROUNDS: '4' });
    for (let i = 0; i < 3; i += 1) await signedInBrowser(t.app);
    // Every stored hash (this file's other users too) at cost 6.
    await db.query('UPDATE users SET password_hash = $1', [await bcrypt.hash(TEST_PASSWORD, 6)]);
    // The app now runs at cost 5 while every stored hash is at 6.
    const ctx = buildContext(testConfig({ BCRYPT_ROUNDS: '5' }), { db, logger: createLogger('silent', new LogCapture()) });
    expect(await storedHashCost(ctx)).toBe(6);
    expect(await verifySignInPassword(ctx, 'nobody@example.com', undefined, TEST_PASSWORD)).toBe(false);
    expect([...ctx.passwords.dummyHashes.keys()]).toEqual([6]);
    expect(await ctx.passwords.dummyHashes.get(6)).toMatch(/^\$2b\$06\$/);
  });
});
