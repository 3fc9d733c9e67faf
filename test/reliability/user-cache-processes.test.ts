import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { serverDatabaseUrl } from '../helpers/db.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };

/** Asks until `seen` holds of the answer or a second has passed; returns the last answer and how long it took. */
async function withinASecond(ask: () => Promise<request.Response>, seen: (res: request.Response) => boolean) {
  const started = Date.now();
  for (;;) {
    const res = await ask();
    if (seen(res) || Date.now() - started >= 1000) return { res, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("each server process's cache of user rows, on one PostgreSQL", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: { url: string; drop: () => Promise<void> };
  let sql: pg.Client;

  beforeAll(async () => {
    database = await serverDatabaseUrl();
    const env = { DATABASE_URL: database.url, JWT_SECRET: randomBytes(32).toString('hex'), BCRYPT_ROUNDS: '4' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
  }, 90_000);
  afterAll(async () => {
    await sql?.end();
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  async function signedIn(): Promise<{ access: string; id: string; email: string }> {
    const email = uniqueEmail('proc-cache');
    const jar = new CookieJar();
    const res = await request(a.origin)
      .post('/register')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    expect(res.status).toBe(303);
    jar.update(res);
    const access = jar.get(ACCESS_COOKIE)!;
    const me = await request(a.origin).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${access}`);
    return { access, id: me.body.id as string, email };
  }

  const meOn = (server: ServerProcess, access: string) => () =>
    request(server.origin).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${access}`);

  it('shows a changed email on both processes within a second, though each had the row cached', async () => {
    const { access, id, email } = await signedIn();
    for (const server of [a, b]) expect((await meOn(server, access)()).body.email).toBe(email);
    // Changed with the trigger held back (as no code path can): both still answer from their copy.
    await sql.query('BEGIN');
    await sql.query('SET LOCAL session_replication_role = replica');
    await sql.query('UPDATE users SET email = $2 WHERE id = $1', [id, uniqueEmail('proc-unheard')]);
    await sql.query('COMMIT');
    for (const server of [a, b]) expect((await meOn(server, access)()).body.email).toBe(email);
    const changed = uniqueEmail('proc-changed');
    await sql.query('UPDATE users SET email = $2 WHERE id = $1', [id, changed]);
    for (const server of [a, b]) {
      const { res, ms } = await withinASecond(meOn(server, access), (r) => r.body.email === changed);
      expect(res.body.email).toBe(changed);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('refuses a deleted account on both processes within a second, though its session was never ended', async () => {
    const { access, id } = await signedIn();
    for (const server of [a, b]) expect((await meOn(server, access)()).status).toBe(200);
    await sql.query('DELETE FROM users WHERE id = $1', [id]);
    for (const server of [a, b]) {
      const { res, ms } = await withinASecond(meOn(server, access), (r) => r.status === 401);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('This account no longer exists.');
      expect(ms).toBeLessThan(1000);
    }
  });
});
