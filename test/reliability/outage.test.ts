import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('cuts off an export whose database goes away after its first page: the download is aborted, never a 200 that ends as if whole or hangs', async () => {
    const { browser } = await signedInBrowser(t.app);
    const userId = (await browser.json('post', '/api/entries', { title: 'First', body: 'x' })).body.id as string;
    await base.query(
      `INSERT INTO entries (user_id, title, body, entry_date) SELECT user_id, 'Page ' || n, 'x', '2024-01-01' FROM entries, generate_series(1, 500) AS n WHERE id = $1`,
      [userId],
    );
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      for (const format of ['json', 'markdown']) {
        // The second page's statement (after the cursor) is where the database goes.
        const cut = outage.cutWhenSent('created_at, id) <');
        const download = await exportDownload((server.address() as AddressInfo).port, browser, format);
        await cut;
        outage.restore();
        expect([format, download]).toEqual([format, { status: 200, outcome: 'aborted' }]);
      }
      expect(t.logs.lines.filter((line) => line.includes('export failed midway'))).toHaveLength(2);
    } finally {
      outage.restore();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** How an export download ended: read whole ('complete'), cut off ('aborted'), or still open after 5 s ('hangs'). */
function exportDownload(port: number, browser: Browser, format: string): Promise<{ status: number; outcome: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/account/export?format=${format}`, headers: { Cookie: browser.jar.header() } });
    req.on('response', (res) => {
      const done = (outcome: string) => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, outcome });
      };
      const timer = setTimeout(() => done('hangs'), 5000);
      res.resume();
      res.on('end', () => done(res.complete ? 'complete' : 'aborted'));
      res.on('error', () => done('aborted'));
      res.on('aborted', () => done('aborted'));
      res.on('close', () => done(res.complete ? 'complete' : 'aborted'));
    });
    req.on('error', () => resolve({ status: 0, outcome: 'refused' }));
  });
}
