import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { Browser, signedInBrowser, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

/** How many rows each table holds for the user (sign-in failures are kept by email). */
async function rowsOf(userId: string, email: string) {
  const count = async (sql: string, param: string) => (await setup.db.query<{ n: number }>(sql, [param])).rows[0]!.n;
  return {
    users: await count('SELECT count(*)::int AS n FROM users WHERE id = $1', userId),
    entries: await count('SELECT count(*)::int AS n FROM entries WHERE user_id = $1', userId),
    refresh_tokens: await count('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1', userId),
    password_resets: await count('SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1', userId),
    audit_events: await count('SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1', userId),
    sign_in_failures: await count('SELECT coalesce(sum(failures), 0)::int AS n FROM sign_in_failure_counts WHERE email = $1', email),
  };
}

/** A user with something in every table: entries, two sessions, a reset link, audit events, a failed sign-in. */
async function busyUser() {
  const { browser, email } = await signedInBrowser(setup.t.app);
  for (const title of ['First', 'Second']) expect((await browser.post('/journal', { title, body: `${title} body` })).status).toBe(303);
  const phone = new Browser(setup.t.app);
  expect((await phone.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
  expect((await new Browser(setup.t.app).post('/password/forgot', { email })).status).toBe(200);
  expect((await new Browser(setup.t.app).post('/login', { email, password: 'not the password' })).status).toBe(401);
  return { browser, phone, email, userId: userIdOf(browser) };
}

describe('deleting the account', () => {
  it('refuses a wrong or missing password with 400 and deletes nothing', async () => {
    const { browser, phone, email, userId } = await busyUser();
    const before = await rowsOf(userId, email);
    expect(Object.values(before).every((n) => n > 0)).toBe(true);
    for (const current_password of ['not the password', '']) {
      const res = await browser.post('/account/delete', { current_password });
      expect(res.status).toBe(400);
      expect(res.text).toContain('That is not your current password. Nothing was deleted.');
    }
    // The wrong password counts as a failed sign-in of the account and is audited; nothing else changes.
    expect(await rowsOf(userId, email)).toEqual({
      ...before,
      sign_in_failures: before.sign_in_failures + 1,
      audit_events: before.audit_events + 1,
    });
    expect((await browser.get('/journal')).status).toBe(200);
    expect((await phone.post('/refresh')).status).toBe(200);
  });

  it('removes every row of the user, ends every session, and leaves other users alone', async () => {
    const { browser, phone, email, userId } = await busyUser();
    const { browser: other, email: otherEmail } = await signedInBrowser(setup.t.app);
    await other.post('/journal', { title: 'Not yours', body: 'kept' });
    const otherBefore = await rowsOf(userIdOf(other), otherEmail);

    const res = await browser.post('/account/delete', { current_password: TEST_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?flash=account_deleted');
    expect(browser.jar.get(ACCESS_COOKIE)).toBeUndefined();
    expect(browser.jar.get(REFRESH_COOKIE)).toBeUndefined();
    expect((await browser.get('/login?flash=account_deleted')).text).toContain('Your account and everything in it were deleted.');

    expect(await rowsOf(userId, email)).toEqual({
      users: 0,
      entries: 0,
      refresh_tokens: 0,
      password_resets: 0,
      audit_events: 0,
      sign_in_failures: 0,
    });
    expect((await phone.post('/refresh')).status).toBe(401);
    expect(await rowsOf(userIdOf(other), otherEmail)).toEqual(otherBefore);
    expect((await other.post('/refresh')).status).toBe(200);
    const logged = setup.t.logs.lines.map((l) => JSON.parse(l)).find((l) => l.audit === 'account_deleted' && l.userId === userId);
    expect(logged).toMatchObject({ entries: 2, sessions: 2 });
  });

  it('lets the same email register again, with an empty journal', async () => {
    const email = uniqueEmail('returning');
    const { browser } = await signedInBrowser(setup.t.app, email);
    await browser.post('/journal', { title: 'Old life', body: 'gone' });
    expect((await browser.post('/account/delete', { current_password: TEST_PASSWORD })).status).toBe(303);

    const { browser: again } = await signedInBrowser(setup.t.app, email);
    const journal = await again.get('/journal');
    expect(journal.status).toBe(200);
    expect(journal.text).not.toContain('Old life');
  });
});
