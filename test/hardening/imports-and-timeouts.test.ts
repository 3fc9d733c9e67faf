import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZIP_IMPORT_MAX_BYTES } from '../../src/account/zip-import.js';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { type Browser, buildTestApp, signedInBrowser, TEST_ORIGIN, type TestApp, writeEntry } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { startTrickledPost } from '../helpers/raw-http.js';

const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;
const exportFile = (title: string) =>
  JSON.stringify({ format: 'smriti-export', version: 1, entries: [{ title, body: 'b', createdAt: '2024-01-01T00:00:00Z' }] });
const BOUNDARY = 'smriti-test-boundary';
const multipart = (content: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="export.json"\r\nContent-Type: application/json\r\n\r\n${content}\r\n--${BOUNDARY}--\r\n`;

async function until(check: () => Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('imports', { timeout: 90_000 }, () => {
  let db: Db;
  let t: TestApp;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    db = await createTestDb();
    t = buildTestApp(db);
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
  });
  const entryCount = async (userId: string) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM entries WHERE user_id = $1', [userId])).rows[0]!.n;

  it('refuses a second import by the same user at once with 409, without reading it, while the first is still uploading', async () => {
    const { browser } = await signedInBrowser(t.app);
    const userId = userIdOf(browser);
    const first = startTrickledPost(port, '/account/import', multipart(exportFile('First import')), {
      Cookie: browser.jar.header(),
      Origin: TEST_ORIGIN,
      'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
    });
    await until(async () => (await db.query('SELECT 1 FROM import_claims WHERE user_id = $1', [userId])).rows.length === 1);

    const second = await browser.upload('/account/import', 'file', exportFile('Second import'));
    expect(second.status).toBe(409);
    expect(second.text).toContain('another import into your journal is still running');
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    // Someone else imports meanwhile: the claim is per account.
    const { browser: other } = await signedInBrowser(t.app);
    expect((await other.upload('/account/import', 'file', exportFile('Other user'))).status).toBe(303);

    first.finish();
    expect((await first.reply).status).toBe(303);
    expect(await entryCount(userId)).toBe(1);
    // The claim went with the first import: the next one is admitted.
    expect((await browser.upload('/account/import', 'file', exportFile('Third import'))).status).toBe(303);
    expect(await entryCount(userId)).toBe(2);
  });

  it('answers 413 from the declared size before reading the upload', async () => {
    const { browser } = await signedInBrowser(t.app);
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/account/import',
        method: 'POST',
        agent: false,
        headers: {
          Cookie: browser.jar.header(),
          Origin: TEST_ORIGIN,
          'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
          'Content-Length': String(ZIP_IMPORT_MAX_BYTES * 2),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write('--smriti'); // the first bytes of 400 MB that never come
    });
    expect(reply.status).toBe(413);
    expect(reply.text).toContain('larger than the limit (20 MB, or 200 MB for a zip with photos)');
  });
});

describe('statement_timeout', () => {
  it('answers 503 with a sentence when a statement runs past the timeout, while the pool keeps serving other users', async () => {
    const db = await createTestDb({ statementTimeoutMs: 300, max: 4 });
    try {
      const t = buildTestApp(db);
      const { browser: stuck } = await signedInBrowser(t.app);
      const { browser: other } = await signedInBrowser(t.app);
      const stuckId = await writeEntry(stuck, 'Locked', 'by someone else');
      const otherId = await writeEntry(other, 'Free', 'to change');

      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // Another connection holds the entry's row: the update waits, and is cancelled at 300 ms.
      const holder = db.transaction(async (tx) => {
        await tx.query('SELECT id FROM entries WHERE user_id = $1 AND id = $2 FOR UPDATE', [userIdOf(stuck), stuckId]);
        locked();
        await held;
      });
      await lockTaken;
      const slow = stuck.json('put', `/api/entries/${stuckId}`, { title: 'Changed', body: 'never' });
      const others = await Promise.all(
        Array.from({ length: 6 }, (_, i) => other.json('put', `/api/entries/${otherId}`, { title: `Free ${i}`, body: 'changed' })),
      );
      expect(others.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200]);
      const timedOut = await slow;
      release();
      await holder;
      expect(timedOut.status).toBe(503);
      expect(timedOut.body).toMatchObject({ error: 'timeout' });
      expect(timedOut.body.message).toContain('nothing was changed');
      expect(Number(timedOut.headers['retry-after'])).toBeGreaterThan(0);
      expect((await stuck.json('get', `/api/entries/${stuckId}`)).body.title).toBe('Locked');
      // The connection that was cancelled went back to the pool and serves again.
      expect((await stuck.json('put', `/api/entries/${stuckId}`, { title: 'Changed', body: 'now' })).status).toBe(200);
    } finally {
      await db.close();
    }
  });
});
