import { beforeEach, describe, expect, it } from 'vitest';
import { PostgresStore, pruneRateLimits } from '../../src/http/rate-limit-postgres.js';
import { Browser, buildTestApp, fakeClock, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';

const setup = useTestApp();
const tight = { limit: 3, windowSeconds: 60 };

// Every app in this file shares one database, and so its counters: each test starts from none.
beforeEach(async () => {
  await setup.db.query('DELETE FROM rate_limits');
});

function storeFor(now: () => number, name = 'test', windowMs = 60_000): PostgresStore {
  const store = new PostgresStore(setup.db, now, name);
  store.init({ windowMs } as Parameters<PostgresStore['init']>[0]);
  return store;
}

describe('rate limits shared through the database', () => {
  it('holds the per-IP sign-in limit across two app instances', async () => {
    const clock = fakeClock();
    const apps = [
      buildTestApp(setup.db, {}, clock, { loginPerIp: tight }).app,
      buildTestApp(setup.db, {}, clock, { loginPerIp: tight }).app,
    ];
    for (let i = 0; i < 3; i++)
      expect((await new Browser(apps[i % 2]!).post('/login', { email: uniqueEmail(), password: 'whatever1' })).status).toBe(401);
    const limited = await new Browser(apps[1]!).post('/login', { email: uniqueEmail(), password: 'whatever1' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(61);
    expect((await new Browser(apps[0]!).post('/login', { email: uniqueEmail(), password: 'whatever1' })).status).toBe(401);
  });

  it('holds the per-email sign-in limit and the per-IP registration limit across two app instances', async () => {
    const clock = fakeClock();
    const limits = { loginPerEmail: tight, registerPerIp: tight };
    const apps = [buildTestApp(setup.db, {}, clock, limits).app, buildTestApp(setup.db, {}, clock, limits).app];
    const email = uniqueEmail();
    for (let i = 0; i < 3; i++) await new Browser(apps[i % 2]!).post('/login', { email, password: 'whatever1' });
    expect((await new Browser(apps[1]!).post('/login', { email, password: 'whatever1' })).status).toBe(429);

    const register = (i: number) =>
      new Browser(apps[i % 2]!).post('/register', { email: uniqueEmail(), password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    for (let i = 0; i < 3; i++) expect((await register(i)).status).toBe(303);
    expect((await register(3)).status).toBe(429);
  });

  it('answers 400, not 500, to an email of any length: the stored key is a digest', async () => {
    const { app } = buildTestApp(setup.db);
    const res = await new Browser(app).post('/login', { email: `${'a'.repeat(200_000)}@example.com`, password: 'whatever1' });
    expect(res.status).toBe(400);
    const keys = await setup.db.query<{ key: string }>('SELECT key FROM rate_limits');
    expect(keys.rows.map((r) => r.key).sort()).toEqual([
      expect.stringMatching(/^login_email:[\w-]{43}$/),
      expect.stringMatching(/^login_ip:[\w-]{43}$/),
    ]);
  });
});

describe('PostgresStore', () => {
  it('counts hits in a fixed window on the injected clock and starts a new window after it', async () => {
    const clock = fakeClock();
    const store = storeFor(clock.now);
    const first = await store.increment('client');
    expect(first.totalHits).toBe(1);
    expect(first.resetTime!.getTime()).toBe(clock.now() + 60_000);
    clock.advance(30);
    expect((await store.increment('client')).totalHits).toBe(2);
    expect((await store.get('client'))?.totalHits).toBe(2);
    clock.advance(31);
    expect(await store.get('client')).toBeUndefined();
    const next = await store.increment('client');
    expect(next.totalHits).toBe(1);
    expect(next.resetTime!.getTime()).toBe(clock.now() + 60_000);
  });

  it('keeps limits apart by name, and decrements and resets one key', async () => {
    const clock = fakeClock();
    const login = storeFor(clock.now, 'login');
    const register = storeFor(clock.now, 'register');
    await login.increment('1.2.3.4');
    await login.increment('1.2.3.4');
    expect((await register.increment('1.2.3.4')).totalHits).toBe(1);
    await login.decrement('1.2.3.4');
    expect((await login.get('1.2.3.4'))?.totalHits).toBe(1);
    await login.resetKey('1.2.3.4');
    expect(await login.get('1.2.3.4')).toBeUndefined();
    expect((await register.get('1.2.3.4'))?.totalHits).toBe(1);
  });

  it('loses no hit when many requests count at once', async () => {
    const store = storeFor(fakeClock().now);
    const results = await Promise.all(Array.from({ length: 40 }, () => store.increment('crowd')));
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('prunes counters whose window has closed, and only those', async () => {
    const clock = fakeClock();
    await storeFor(clock.now, 'short', 10_000).increment('a');
    await storeFor(clock.now, 'long', 600_000).increment('b');
    clock.advance(60);
    expect(await pruneRateLimits(setup.db, new Date(clock.now()))).toBe(1);
    const left = await setup.db.query<{ key: string }>('SELECT key FROM rate_limits');
    expect(left.rows.map((r) => r.key)).toEqual([expect.stringMatching(/^long:/)]);
  });
});
