// `npm start` with no DATABASE_URL: the embedded PostgreSQL server, as a new user and an upgrading one meet it.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { type Db, openPostgres } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { openPgliteDirectory } from '../../src/db/pglite-carry-over.js';
import { Browser, buildTestApp, TEST_JWT_SECRET, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, writeEntry } from '../helpers/app.js';
import { freePort, type ServerProcess, startServerProcess } from '../helpers/server-process.js';

// Seconds on an idle machine; generous for one shared with other test runs.
const START_MS = 180_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'smriti-embedded-'));
  // Started as root, the server runs as the postgres user, who must reach the cluster inside.
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const appEnv = (extra: Record<string, string> = {}) => ({
  EMBEDDED_DB_DIR: join(dir, 'postgres'),
  JWT_SECRET: TEST_JWT_SECRET,
  APP_ORIGIN: TEST_ORIGIN,
  BCRYPT_ROUNDS: '4',
  ...extra,
});

async function registered(server: ServerProcess): Promise<Browser> {
  const browser = new Browser(server.origin);
  const res = await browser.post('/register', { email: uniqueEmail('embedded'), password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
  expect(res.status).toBe(303);
  return browser;
}

/** The server process that answered the request with this X-Request-Id, from its request log line. */
async function answeredBy(server: ServerProcess, requestId: string): Promise<number> {
  await server.waitForLine(new RegExp(`"id":"${requestId}"`), 1, 5000);
  return JSON.parse(server.lines.find((l) => l.includes(`"id":"${requestId}"`))!).pid as number;
}

async function me(server: ServerProcess, access: string): Promise<{ status: number; pid: number }> {
  const id = `probe-${randomBytes(6).toString('hex')}`;
  const res = await request(server.origin).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${access}`).set('X-Request-Id', id);
  return { status: res.status, pid: await answeredBy(server, id) };
}

describe('the embedded PostgreSQL server (no DATABASE_URL)', () => {
  it('creates its cluster on first start, listens on a Unix socket in its directory only, and keeps the data through a restart', async () => {
    // The same port for both starts: the browser comes back to where it was.
    const port = await freePort();
    const first = await startServerProcess(appEnv(), START_MS, port);
    const browser = await registered(first);
    const id = await writeEntry(browser, 'Before the restart', 'kept');
    expect(first.lines.some((l) => l.includes('created an embedded PostgreSQL cluster'))).toBe(true);
    expect(first.lines.some((l) => l.includes(`embedded PostgreSQL in ${join(dir, 'postgres')} (socket in`))).toBe(true);
    const pidFile = readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    expect(pidFile[4]).toBe(join(dir, 'postgres')); // the socket's directory
    expect(pidFile[5]?.trim()).toBe(''); // no TCP address at all
    expect(await first.stop('SIGINT')).toBe(0);
    // Stopped with the app: no server left behind.
    expect(existsSync(join(dir, 'postgres', 'postmaster.pid'))).toBe(false);

    const second = await startServerProcess(appEnv(), START_MS, port);
    try {
      expect(second.lines.some((l) => l.includes('created an embedded'))).toBe(false);
      expect((await browser.get(`/api/entries/${id}`)).body.title).toBe('Before the restart');
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 600_000);

  it('keeps every acknowledged entry when the app is SIGKILLed during concurrent writes (three times, once with the server killed too)', async () => {
    const acknowledged: string[] = [];
    let browser: Browser | undefined;
    // One port for every start: the writer's browser comes back to the restarted app.
    const port = await freePort();
    for (const run of [1, 2, 3]) {
      const server = await startServerProcess(appEnv(), START_MS, port);
      browser ??= await registered(server);
      const writer = browser;
      const before = acknowledged.length;
      let killed = false;
      const write = async (lane: number) => {
        for (let i = 0; !killed; i++) {
          const res = await writer
            .json('post', '/api/entries', { title: `run ${run} lane ${lane} #${i}`, body: 'acknowledged' })
            .catch(() => undefined);
          if (res?.status === 201) acknowledged.push(res.body.id as string);
        }
      };
      const lanes = [1, 2, 3, 4].map(write);
      const deadline = Date.now() + 120_000;
      while (acknowledged.length < before + 20) {
        if (Date.now() > deadline) throw new Error(`only ${acknowledged.length - before} entries acknowledged in run ${run}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      server.child.kill('SIGKILL');
      killed = true;
      await server.exited;
      await Promise.all(lanes);
      if (run === 2) {
        // The server too: the next start finds a stale postmaster.pid and a cluster to recover.
        const postmaster = Number(readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(postmaster, 'SIGKILL');
      }
    }
    const server = await startServerProcess(appEnv(), START_MS, port);
    try {
      for (const id of acknowledged) expect((await browser!.get(`/api/entries/${id}`)).status, id).toBe(200);
      expect(acknowledged.length).toBeGreaterThanOrEqual(60);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 900_000);

  it('runs WEB_CONCURRENCY=2 on it: a session revoked through one worker is refused by the other within a second', async () => {
    const server = await startServerProcess(appEnv({ WEB_CONCURRENCY: '2', ACCESS_TOKEN_EXPIRY_SECONDS: '1800' }), START_MS);
    try {
      await server.waitForLine(/listening on/, 2, START_MS);
      const workers = new Set(server.lines.filter((l) => l.includes('listening on')).map((l) => JSON.parse(l).pid as number));
      expect(workers.size).toBe(2);
      const phone = await registered(server);
      const access = phone.jar.get(ACCESS_COOKIE)!;
      const accepted = new Set<number>();
      for (let i = 0; i < 20 && accepted.size < 2; i++) {
        const answer = await me(server, access);
        if (answer.status === 200) accepted.add(answer.pid);
      }
      expect(accepted).toEqual(workers);

      expect((await phone.post('/logout')).status).toBe(303);
      const revokedAt = Date.now();
      const refusedAfter = new Map<number, number>();
      while (refusedAfter.size < 2 && Date.now() - revokedAt < 1000) {
        const answer = await me(server, access);
        if (answer.status === 401 && !refusedAfter.has(answer.pid)) refusedAfter.set(answer.pid, Date.now() - revokedAt);
      }
      expect(new Set(refusedAfter.keys())).toEqual(workers);
      for (const ms of refusedAfter.values()) expect(ms).toBeLessThan(1000);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // The primary stopped the server after its workers.
    expect(existsSync(join(dir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 600_000);

  it("carries over an older release's PGlite directory once, with every row, and its sign-ins still work", async () => {
    // The older release: the app on PGlite in ./data/pglite (beside ./data/postgres).
    const old = await openPgliteDirectory(join(dir, 'pglite'));
    const email = uniqueEmail('upgrading');
    const before = new Browser(buildTestApp(old).app);
    let counts: Record<string, number>;
    try {
      await migrate(old);
      expect((await before.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD })).status).toBe(303);
      const kept = await before.json('post', '/api/entries', { title: 'Tagged', body: 'kept', tags: ['travel'] });
      expect(kept.status).toBe(201);
      const trashed = await writeEntry(before, 'In the trash', 'still there');
      expect((await before.json('delete', `/api/entries/${trashed}`)).status).toBeLessThan(300);
      await old.query(
        `INSERT INTO webauthn_credentials (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
         SELECT id, 'b2xkLWtleQ', '\\x0304'::bytea, 7, '{usb}', 'singleDevice', false, 'Old key', now() FROM users WHERE email = $1`,
        [email],
      );
      counts = await tableCounts(old);
    } finally {
      await old.close();
    }

    const server = await startServerProcess(appEnv(), START_MS);
    try {
      expect(server.lines.some((l) => l.includes("carried over the older release's PGlite journal"))).toBe(true);
      const keptAs = readdirSync(dir).find((name) => name.startsWith('pglite.carried-over-'));
      expect(keptAs).toBeDefined();
      expect(existsSync(join(dir, 'pglite'))).toBe(false);

      // Every row, counted (before this test's own requests add any) on the embedded server itself, through its socket.
      const direct = openPostgres({ url: `postgres://postgres@${encodeURIComponent(join(dir, 'postgres'))}:5432/smriti` });
      try {
        expect(await tableCounts(direct)).toEqual(counts);
        const key = await direct.query<{ counter: string; public_key: Buffer }>(
          'SELECT counter::text, public_key FROM webauthn_credentials',
        );
        expect(key.rows).toEqual([{ counter: '7', public_key: Buffer.from([3, 4]) }]);
        // The old browser's session goes on: its refresh cookie rotates, its journal is all there.
        const carried = new Browser(server.origin);
        carried.jar.set(REFRESH_COOKIE, before.jar.get(REFRESH_COOKIE)!);
        expect((await carried.post('/refresh')).status).toBe(200);
        const listed = await carried.json('get', '/api/entries');
        expect(listed.body.entries.map((e: { title: string }) => e.title)).toEqual(['Tagged']);
        // And the password signs in on a new browser.
        const fresh = new Browser(server.origin);
        expect((await fresh.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
        expect((await fresh.get('/journal/trash')).text).toContain('In the trash');
      } finally {
        await direct.close();
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // Once: the next start finds no PGlite directory.
    const again = await startServerProcess(appEnv(), START_MS);
    try {
      expect(again.lines.some((l) => l.includes('carried over'))).toBe(false);
    } finally {
      expect(await again.stop()).toBe(0);
    }
    expect(counts).toMatchObject({ users: 1, entries: 2, webauthn_credentials: 1 });
  }, 600_000);
});

async function tableCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'users',
    'entries',
    'webauthn_credentials',
    'refresh_tokens',
    'audit_events',
    'user_devices',
    'session_revocations',
  ]) {
    counts[table] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  }
  return counts;
}
