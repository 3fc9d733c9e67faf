import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { serverDatabaseUrl } from '../helpers/db.js';
import { startTrickledPost } from '../helpers/raw-http.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const SECRET = randomBytes(32).toString('hex');
const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };

async function register(origin: string, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const res = await request(origin)
    .post('/register')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
  expect(res.status).toBe(303);
  jar.update(res);
  return jar;
}

describe('two app processes on one PostgreSQL', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await serverDatabaseUrl();
    const env = { DATABASE_URL: database.url, JWT_SECRET: SECRET, REFRESH_REUSE_GRACE_SECONDS: '0', BCRYPT_ROUNDS: '4' };
    a = await startServerProcess(env);
    b = await startServerProcess(env);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('accepts at one instance a token issued by the other', async () => {
    const jar = await register(a.origin, uniqueEmail('multi'));
    const me = await request(b.origin).get('/api/me').set('Cookie', jar.header());
    expect(me.status).toBe(200);
    const refreshed = await request(b.origin).post('/refresh').set(SAME_ORIGIN).set('Cookie', jar.header());
    expect(refreshed.status).toBe(200);
  });

  it('detects reuse at the second instance and revokes the family at both', async () => {
    const jar = await register(a.origin, uniqueEmail('reuse'));
    const stolen = jar.get(REFRESH_COOKIE)!;
    const rotated = await request(a.origin).post('/refresh').set(SAME_ORIGIN).set('Cookie', jar.header());
    expect(rotated.status).toBe(200);
    jar.update(rotated);
    const replay = await request(b.origin).post('/refresh').set(SAME_ORIGIN).set('Cookie', `${REFRESH_COOKIE}=${stolen}`);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('refresh_reused');
    const victim = await request(a.origin).post('/refresh').set(SAME_ORIGIN).set('Cookie', jar.header());
    expect(victim.status).toBe(401);
    expect(victim.body.error).toBe('refresh_reused');
  });

  it('holds the failed sign-in limit per account across both instances', async () => {
    const email = uniqueEmail('limit');
    await register(a.origin, email);
    for (let i = 0; i < 10; i++) {
      const target = i % 2 === 0 ? a : b;
      const res = await request(target.origin).post('/login').set(SAME_ORIGIN).type('form').send({ email, password: 'wrong password' });
      expect(res.status).toBe(401);
    }
    const blocked = await request(b.origin).post('/login').set(SAME_ORIGIN).type('form').send({ email, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });
});

describe('WEB_CONCURRENCY=2 under node:cluster', () => {
  it('replaces a worker that crashes and keeps serving', async () => {
    const database = await serverDatabaseUrl();
    const server = await startServerProcess({ DATABASE_URL: database.url, JWT_SECRET: SECRET, WEB_CONCURRENCY: '2' });
    try {
      await server.waitForLine(/listening on/, 2);
      const pids = server.lines.filter((l) => /listening on/.test(l)).map((l) => JSON.parse(l).pid as number);
      expect(new Set(pids).size).toBe(2);
      process.kill(pids[0]!, 'SIGKILL');
      await server.waitForLine(/worker exited; starting a new one/);
      await server.waitForLine(/listening on/, 3);
      for (let i = 0; i < 10; i++) expect((await request(server.origin).get('/healthz')).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
      await database.drop();
    }
  }, 90_000);
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function getOnce(port: number, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    // A fresh connection per request: a refused connection is then clearly "after shutdown".
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      // A shutting-down process says so on /readyz (503 "draining"): the signal, not a failure.
      res.on('end', () => resolve(res.statusCode === 503 && body.includes('"draining"') ? 'draining' : (res.statusCode ?? 0)));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end();
  });
}

describe('SIGTERM under load', () => {
  let dataDir: string;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'smriti-shutdown-'));
    database = await serverDatabaseUrl();
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('finishes in-flight requests, refuses new ones, answers no 5xx, and exits 0', async () => {
    const env: Record<string, string> = { JWT_SECRET: SECRET, EMBEDDED_DB_DIR: dataDir, BCRYPT_ROUNDS: '4' };
    if (database) env.DATABASE_URL = database.url;
    const server = await startServerProcess(env);
    const outcomes: Array<number | string> = [];
    let stopping = false;
    const client = async () => {
      for (let i = 0; i < 2000 && !(stopping && outcomes.at(-1) === 'ECONNREFUSED'); i++)
        outcomes.push(await getOnce(server.port, '/readyz'));
    };
    const load = Array.from({ length: 6 }, client);
    await waitUntil(() => outcomes.includes(200));
    // Sign-ins whose bodies are still on their way when SIGTERM arrives: in flight by construction.
    const body = new URLSearchParams({ email: uniqueEmail('late'), password: 'not a real password' }).toString();
    const signIns = Array.from({ length: 3 }, () =>
      startTrickledPost(server.port, '/login', body, { ...SAME_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }),
    );
    await Promise.all(signIns.map((s) => s.connected));
    // Connections are accepted in order: once a later one is answered, the server holds these three.
    expect(await getOnce(server.port, '/healthz')).toBe(200);
    stopping = true;
    const exitCode = server.stop('SIGTERM');
    await server.waitForLine(/shutting down/);
    for (const signIn of signIns) signIn.finish();
    const answered = await Promise.all(signIns.map((s) => s.reply.then((r) => r.status)));
    await Promise.all(load);

    expect(await exitCode).toBe(0);
    expect(answered).toEqual([401, 401, 401]);
    expect(outcomes.filter((o) => o === 200).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => typeof o === 'number' && o >= 500)).toEqual([]);
    // Requests either completed (ready, or draining once SIGTERM arrived) or never got in: refused, or
    // reset at the door before a response began.
    const expected = [200, 'draining', 'ECONNREFUSED', 'ECONNRESET'];
    expect(outcomes.filter((o) => !expected.includes(o))).toEqual([]);
    expect(server.lines.some((l) => l.includes('shutting down'))).toBe(true);
  }, 60_000);
});
