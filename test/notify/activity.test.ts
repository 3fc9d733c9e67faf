import { describe, expect, it } from 'vitest';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';

const setup = useTestApp();
const MAC_CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ANDROID_FIREFOX = 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0';

/** The table's rows as [what happened, device, IP] (the time cell left out), top to bottom. */
function rowsOf(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].slice(1).map((cell) => cell[1]!.replace(/<[^>]+>/g, '').trim()),
  );
}

async function userIdOf(email: string): Promise<string> {
  return (await setup.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!.id;
}

describe('/account/activity', () => {
  it('lists the owner’s security events newest first, with device names and IPv4 addresses as people write them', async () => {
    const clock = fakeClock();
    const t = buildTestApp(setup.db, {}, clock);
    const email = uniqueEmail('activity');
    const laptop = new Browser(t.app);
    laptop.headers['User-Agent'] = MAC_CHROME;
    await laptop.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    clock.advance(5);
    const phone = new Browser(t.app);
    phone.headers['User-Agent'] = ANDROID_FIREFOX;
    expect((await phone.post('/login', { email, password: 'not the password at all' })).status).toBe(401);
    clock.advance(5);
    expect((await phone.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    for (let i = 0; i < 3; i++) {
      clock.advance(5);
      expect((await phone.post('/refresh')).status).toBe(200);
    }
    clock.advance(5);
    await phone.post('/logout');
    clock.advance(5);
    const next = 'periwinkle submarine hums beneath the orchard';
    await laptop.post('/account/password', { current_password: TEST_PASSWORD, new_password: next, new_password_confirm: next });

    const page = await laptop.get('/account/activity');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(rowsOf(page.text)).toEqual([
      ['Password changed', 'Chrome on macOS', '127.0.0.1'],
      ['Signed out', 'Firefox on Android', '127.0.0.1'],
      ['Stayed signed in (3 refreshes)', 'Firefox on Android', '127.0.0.1'],
      ['Signed in with password', 'Firefox on Android', '127.0.0.1'],
      ['Failed sign-in: wrong password', 'Firefox on Android', '127.0.0.1'],
      ['Account created', 'Chrome on macOS', '127.0.0.1'],
    ]);
    expect(page.text).not.toContain('::ffff:');
    expect(page.text.replace(/\s+/g, ' ')).toMatch(/<time datetime="[^"]+" data-local="datetime">[^<]+<\/time> to <time/);
  });

  it('shows another account nothing of the owner’s, only its own events', async () => {
    const owner = await signedInBrowser(setup.t.app);
    await new Browser(setup.t.app).post('/login', { email: owner.email, password: 'somebody guessing here' });
    const other = await signedInBrowser(setup.t.app);
    const page = await other.browser.get('/account/activity');
    expect(rowsOf(page.text).map((row) => row[0])).toEqual(['Account created']);
    expect(rowsOf((await owner.browser.get('/account/activity')).text).map((row) => row[0])).toEqual([
      'Failed sign-in: wrong password',
      'Account created',
    ]);
  });

  it('pages by 50, newest first, and refuses a page that is not a number', async () => {
    const { browser, email } = await signedInBrowser(setup.t.app);
    const userId = await userIdOf(email);
    await setup.db.query(
      `INSERT INTO audit_events (user_id, type, ip, created_at)
       SELECT $1, 'login_failed', '203.0.113.' || n, now() + n * interval '1 second' FROM generate_series(1, 60) AS n`,
      [userId],
    );
    const first = await browser.get('/account/activity');
    const firstRows = rowsOf(first.text);
    expect(firstRows).toHaveLength(50);
    expect(firstRows[0]).toEqual(['Failed sign-in: wrong password', 'Unknown device', '203.0.113.60']);
    expect(first.text).toContain('href="/account/activity?page=2" rel="next"');
    const second = rowsOf((await browser.get('/account/activity?page=2')).text);
    // The ten oldest failures, then the registration itself.
    expect(second.map((row) => row[2])).toEqual([...Array.from({ length: 10 }, (_, i) => `203.0.113.${10 - i}`), '127.0.0.1']);
    expect(second.at(-1)![0]).toBe('Account created');
    expect((await browser.get('/account/activity?page=3')).text).toContain('There are no older events.');
    for (const bad of ['0', 'two', '-1', '99999999', '1.5']) {
      const res = await browser.get(`/account/activity?page=${bad}`);
      expect(res.status).toBe(400);
      expect(res.text).toContain('The page must be a whole number');
    }
  });

  it('is for signed-in owners only, and the account page links to it', async () => {
    const res = await new Browser(setup.t.app).get('/account/activity');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Factivity');
    const { browser } = await signedInBrowser(setup.t.app);
    expect((await browser.get('/account')).text).toContain('href="/account/activity"');
  });
});
