import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { openPostgres } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { createTestDb, serverDatabaseUrl, testDbUrl } from '../helpers/db.js';
import { answerWithin } from '../helpers/poll.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };
const NEW_PASSWORD = 'a different passphrase';

/** One person's browser against real server processes: cookies kept, same-origin headers sent. */
class Device {
  readonly jar = new CookieJar();
  constructor(readonly origin: string) {}
  async post(path: string, form?: Record<string, string>) {
    const res = await request(this.origin)
      .post(path)
      .set(SAME_ORIGIN)
      .set('Cookie', this.jar.header())
      .type('form')
      .send(form ?? {});
    this.jar.update(res);
    return res;
  }
  get access(): string {
    return this.jar.get(ACCESS_COOKIE)!;
  }
  get sid(): string {
    return (jwt.decode(this.access) as { sid: string }).sid;
  }
}

const meWith = (server: ServerProcess, access: string) => request(server.origin).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${access}`);

// Each way a session ends, done by or to the phone; the laptop is the device that stays signed in.
const ENDINGS: Record<string, (laptop: Device, phone: Device) => Promise<void>> = {
  'sign-out': async (_laptop, phone) => {
    expect((await phone.post('/logout')).status).toBe(303);
  },
  'revoke one': async (laptop, phone) => {
    expect((await laptop.post(`/account/sessions/${phone.sid}/revoke`)).status).toBe(303);
  },
  'sign out everywhere else': async (laptop) => {
    expect((await laptop.post('/account/sessions/revoke-others')).status).toBe(303);
  },
  'password change': async (laptop) => {
    const form = { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD };
    expect((await laptop.post('/account/password', form)).status).toBe(303);
  },
  'reuse detected': async (laptop, phone) => {
    const stolen = phone.jar.get(REFRESH_COOKIE)!;
    expect((await phone.post('/refresh')).status).toBe(200);
    const thief = new Device(laptop.origin);
    thief.jar.set(REFRESH_COOKIE, stolen);
    expect((await thief.post('/refresh')).body.error).toBe('refresh_reused');
  },
};

describe('revocation across real server processes on one PostgreSQL', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: { url: string; drop: () => Promise<void> };
  const env = () => ({
    DATABASE_URL: database.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ACCESS_TOKEN_EXPIRY_SECONDS: '1800',
    REFRESH_REUSE_GRACE_SECONDS: '0',
    BCRYPT_ROUNDS: '4',
  });
  let sharedEnv: Record<string, string>;
  const endedTokens: string[] = [];

  beforeAll(async () => {
    database = await serverDatabaseUrl();
    sharedEnv = env();
    [a, b] = await Promise.all([startServerProcess(sharedEnv), startServerProcess(sharedEnv)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  for (const [way, end] of Object.entries(ENDINGS)) {
    it(`refuses the ended session's access token on both processes within a second: ${way}`, async () => {
      const email = uniqueEmail('proc-revoke');
      const laptop = new Device(a.origin);
      expect((await laptop.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD })).status).toBe(303);
      const phone = new Device(b.origin);
      expect((await phone.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
      for (const server of [a, b]) expect((await meWith(server, phone.access)).status).toBe(200);

      const endedAccess = phone.access;
      await end(laptop, phone);
      for (const server of [a, b]) {
        const started = Date.now();
        const res = await answerWithin(() => meWith(server, endedAccess), 401, 1000);
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('token_revoked');
        expect(Date.now() - started).toBeLessThan(1000);
      }
      for (const server of [a, b]) expect((await meWith(server, laptop.access)).status).toBe(200);
      endedTokens.push(endedAccess);
    });
  }

  it('refuses every one of them on a third process started afterwards', async () => {
    expect(endedTokens).toHaveLength(Object.keys(ENDINGS).length);
    const c = await startServerProcess(sharedEnv);
    try {
      for (const access of endedTokens) expect((await meWith(c, access)).body.error).toBe('token_revoked');
    } finally {
      await c.stop();
    }
  }, 60_000);
});

describe('the revocation listener losing its connection', () => {
  it('keeps serving while cut, then reloads on reconnection and enforces a revocation made during the cut', async () => {
    const direct = await createTestDb();
    const url = new URL(testDbUrl(direct));
    const proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const viaProxy = openPostgres({ url: url.toString(), connectionTimeoutMillis: 500 });
    const clock = fakeClock();
    const cutOff = buildTestApp(viaProxy, {}, clock);
    const elsewhere = buildTestApp(direct, {}, clock);
    const stopListening = await cutOff.listen();
    try {
      const { browser: laptop, email } = await signedInBrowser(elsewhere.app);
      const phone = new Browser(elsewhere.app);
      await phone.post('/login', { email, password: TEST_PASSWORD });
      const phoneAccess = phone.jar.get(ACCESS_COOKIE)!;
      const me = () => request(cutOff.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${phoneAccess}`);
      expect((await me()).status).toBe(200);

      proxy.cut();
      expect((await laptop.post('/account/sessions/revoke-others')).status).toBe(303);
      expect((await request(cutOff.app).get('/healthz')).status).toBe(200);
      expect((await me()).status).toBe(503); // /api/me reads the user: the database is out of reach
      expect(cutOff.revokedSessions.until.size).toBe(0); // nothing heard during the cut

      proxy.restore();
      const after = await answerWithin(me, 401, 10_000);
      expect(after.body.error).toBe('token_revoked');
      expect(cutOff.logs.text).toMatch(/revocation listener lost its connection/);
    } finally {
      await stopListening();
      await viaProxy.close();
      await proxy.close();
      await direct.close();
    }
  }, 30_000);
});
