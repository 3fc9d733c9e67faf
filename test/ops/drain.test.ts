import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createReadiness } from '../../src/lifecycle.js';
import { createLogger } from '../../src/logger.js';
import { TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';
import { serverDatabaseUrl } from '../helpers/db.js';
import { rawRequest, startTrickledPost } from '../helpers/raw-http.js';
import { startServerProcess } from '../helpers/server-process.js';

const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };
const DRAIN_MS = 2000;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM_HEADERS = { ...SAME_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' };

/** One request on a connection of its own: a refused connection then clearly means "stopped listening". */
async function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; form?: string } = {}) {
  const headers = { ...options.headers, ...(options.form ? FORM_HEADERS : {}) };
  try {
    const reply = await rawRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false },
      options.form ? Buffer.from(options.form) : undefined,
    );
    return { status: reply.status as number | string, setCookie: reply.headers['set-cookie'] };
  } catch (error) {
    return { status: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}

function startTrickledSignIn(port: number, body: string) {
  return startTrickledPost(port, '/login', body, FORM_HEADERS);
}

const elapsedSince = (start: number) => performance.now() - start;

describe('/readyz while draining', () => {
  const setup = useTestApp();

  it('answers 503 draining without asking the database, while /healthz and pages still answer', async () => {
    const readiness = createReadiness();
    const app = createApp(setup.t.config, { db: setup.db, logger: createLogger('silent'), readiness });
    expect((await supertest(app).get('/readyz')).status).toBe(200);
    readiness.draining = true;
    const ready = await supertest(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'draining' });
    expect((await supertest(app).get('/healthz')).status).toBe(200);
    expect((await supertest(app).get('/login')).status).toBe(200);
  });
});

describe('SIGTERM with SHUTDOWN_DRAIN_SECONDS=2', () => {
  let dataDir: string;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'smriti-drain-'));
    database = await serverDatabaseUrl();
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('answers /readyz 503 at once, serves everything else while draining, then finishes in-flight requests and exits 0', async () => {
    const env: Record<string, string> = {
      JWT_SECRET: randomBytes(32).toString('hex'),
      EMBEDDED_DB_DIR: dataDir,
      BCRYPT_ROUNDS: '4',
      SHUTDOWN_DRAIN_SECONDS: String(DRAIN_MS / 1000),
    };
    if (database) env.DATABASE_URL = database.url;
    const server = await startServerProcess(env);
    const email = uniqueEmail('drain');
    const registered = await send(server.port, '/register', {
      method: 'POST',
      headers: SAME_ORIGIN,
      form: form({ email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD }),
    });
    expect(registered.status).toBe(303);
    const cookies = { Cookie: (registered.setCookie ?? []).map((c) => c.split(';')[0]).join('; ') };
    expect((await send(server.port, '/api/me', { headers: cookies })).status).toBe(200);
    expect((await send(server.port, '/readyz')).status).toBe(200);

    const start = performance.now();
    server.child.kill('SIGTERM');
    let readyzFlippedAfter = Number.POSITIVE_INFINITY;
    while (elapsedSince(start) < 1000) {
      if ((await send(server.port, '/readyz')).status === 503) {
        readyzFlippedAfter = elapsedSince(start);
        break;
      }
    }
    expect(readyzFlippedAfter).toBeLessThan(200);

    let inFlight: ReturnType<typeof startTrickledSignIn> | undefined;
    const duringDrain: Array<[string, number | string]> = [];
    while (elapsedSince(start) < DRAIN_MS - 300) {
      // A sign-in whose body is still arriving when the server stops listening: in flight by construction.
      inFlight ??= startTrickledSignIn(server.port, form({ email, password: 'not the password' }));
      for (const path of ['/healthz', '/login', '/api/me', '/readyz'])
        duringDrain.push([path, (await send(server.port, path, { headers: path === '/api/me' ? cookies : {} })).status]);
    }
    expect(duringDrain.length).toBeGreaterThan(8);
    expect(duringDrain.filter(([path, status]) => status !== (path === '/readyz' ? 503 : 200))).toEqual([]);

    let refusedAfter = 0;
    while (elapsedSince(start) < DRAIN_MS + 10_000) {
      if ((await send(server.port, '/healthz')).status === 'ECONNREFUSED') {
        refusedAfter = elapsedSince(start);
        break;
      }
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(DRAIN_MS);

    inFlight!.finish();
    const reply = await inFlight!.reply;
    expect(reply.status).toBe(401);
    expect(reply.connection).toBe('close');
    expect(await server.exited).toBe(0);
    expect(server.lines.some((line) => line.includes('"drainSeconds":2'))).toBe(true);
  }, 60_000);
});
