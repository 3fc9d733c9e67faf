import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { type Db, openPostgres } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_PASSWORD, type TestApp } from '../helpers/app.js';
import { createTestDb, testDbUrl } from '../helpers/db.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** The outage is real: the app's pool goes through a TCP proxy that is cut. */
interface Outage {
  db: Db;
  cut(): void;
  /** Cuts the database off at the moment the app sends a statement containing `text`, before it runs. */
  cutWhenSent(text: string): Promise<void>;
  restore(): void;
  close(): Promise<void>;
}

async function outageFor(base: Db): Promise<Outage> {
  const url = new URL(testDbUrl(base));
  const proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const db = openPostgres({ url: url.toString(), connectionTimeoutMillis: 1000 });
  return {
    db,
    cut: () => proxy.cut(),
    cutWhenSent: (text) => proxy.holdWhenSent(text).then(() => proxy.cut()),
    restore: () => proxy.restore(),
    close: async () => {
      await db.close();
      await proxy.close();
    },
  };
}

let base: Db;
let outage: Outage;
let t: TestApp;
const clock = fakeClock();
beforeAll(async () => {
  base = await createTestDb();
  outage = await outageFor(base);
  t = buildTestApp(outage.db, { ACCESS_TOKEN_EXPIRY_SECONDS: '300', REFRESH_TOKEN_EXPIRY_SECONDS: '3600', JWT_LEEWAY_SECONDS: '0' }, clock);
});
afterAll(async () => {
  await outage.close();
  await base.close();
});

async function rowCounts() {
  const result = await base.query<{ users: number; entries: number; tokens: number }>(
    `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM entries) AS entries, (SELECT count(*)::int FROM refresh_tokens) AS tokens`,
  );
  return result.rows[0]!;
}

describe('database outage', () => {
  it('answers 503 everywhere the database is needed, changes nothing, and recovers with the same cookies', async () => {
    const { browser, email } = await signedInBrowser(t.app);
    const entry = (await browser.json('post', '/api/entries', { title: 'Before', body: 'the outage' })).body;
    const cookiesBefore = browser.jar.header();
    const before = await rowCounts();

    outage.cut();
    try {
      const refresh = await browser.post('/refresh');
      expect(refresh.status).toBe(503);
      expect(refresh.body).toMatchObject({ error: 'unavailable' });
      expect(refresh.headers['set-cookie']).toBeUndefined();
      expect(refresh.headers['retry-after']).toBeDefined();

      const page = await browser.get('/journal');
      expect(page.status).toBe(503);
      expect(page.text).toContain('cannot reach its database');
      expect(page.text).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+/);

      clock.advance(301);
      const refreshInPlace = await browser.get(`/journal/${entry.id}`);
      expect(refreshInPlace.status).toBe(503);
      expect(refreshInPlace.headers['set-cookie']).toBeUndefined();
      clock.advance(-301);

      expect((await request(t.app).get('/readyz')).status).toBe(503);
      expect((await request(t.app).get('/healthz')).status).toBe(200);
      expect((await browser.json('post', '/api/entries', { title: 'During', body: 'the outage' })).status).toBe(503);
      expect((await browser.json('put', `/api/entries/${entry.id}`, { title: 'Changed', body: 'during' })).status).toBe(503);
      expect((await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(503);
      expect(
        (await new Browser(t.app).post('/register', { email: `new-${email}`, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD }))
          .status,
      ).toBe(503);
      expect(
        (
          await browser.post('/account/password', {
            current_password: TEST_PASSWORD,
            new_password: 'other secret',
            new_password_confirm: 'other secret',
          })
        ).status,
      ).toBe(503);
      expect(browser.jar.header()).toBe(cookiesBefore);
    } finally {
      outage.restore();
    }

    expect(await rowCounts()).toEqual(before);
    expect((await request(t.app).get('/readyz')).status).toBe(200);
    expect((await browser.get('/journal')).status).toBe(200);
    expect((await browser.json('get', `/api/entries/${entry.id}`)).body.body).toBe('the outage');
    clock.advance(301);
    const refreshed = await browser.post('/refresh');
    expect(refreshed.status).toBe(200);
    expect(browser.jar.get(ACCESS_COOKIE)).toBeTruthy();
    expect(browser.jar.get(REFRESH_COOKIE)).toBeTruthy();
  });

  it('rolls back a password change whose connection drops between its two statements: no half is stored', async () => {
    const { browser, email } = await signedInBrowser(t.app);
    const phone = new Browser(t.app);
    await phone.post('/login', { email, password: TEST_PASSWORD });
    const stored = async () =>
      (
        await base.query<{ hash: string; live: number }>(
          `SELECT password_hash AS hash, (SELECT count(*)::int FROM refresh_tokens r WHERE r.user_id = u.id AND r.revoked_at IS NULL) AS live
             FROM users u WHERE email = $1`,
          [email],
        )
      ).rows[0]!;
    const before = await stored();
    expect(before.live).toBe(2);

    // The password's UPDATE has run inside the transaction; the sessions' ending is on its way.
    const cut = outage.cutWhenSent('end_sessions');
    const res = await browser.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: 'a new passphrase',
      new_password_confirm: 'a new passphrase',
    });
    await cut;
    outage.restore();

    expect(res.status).toBe(503);
    expect(await stored()).toEqual(before);
    expect((await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    expect((await phone.post('/refresh')).status).toBe(200);
  });
});
