import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { openPostgres } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

const TOKEN = 'metrics-token-for-the-tests-0123456789';
const WITH_METRICS = { METRICS_TOKEN: TOKEN, REFRESH_REUSE_GRACE_SECONDS: '10' };

const setup = useTestApp();

async function scrape(app: Express) {
  const res = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
  expect(res.status).toBe(200);
  return { text: res.text, samples: parsePrometheus(res.text) };
}

describe('GET /metrics access', () => {
  it('answers 404 when METRICS_TOKEN is not set, even with a token', async () => {
    expect((await request(setup.t.app).get('/metrics')).status).toBe(404);
    expect((await request(setup.t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
  });

  it('answers 401 without a token, with a wrong one, or with the right one under another scheme', async () => {
    const { app } = buildTestApp(setup.db, WITH_METRICS);
    const refusals = [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer '];
    for (const header of refusals) {
      const req = request(app).get('/metrics');
      const res = await (header === undefined ? req : req.set('Authorization', header));
      expect(res.status, String(header)).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.text).not.toContain('smriti_');
    }
  });

  it('answers 200 Prometheus text with the token, including the process metrics', async () => {
    const { app } = buildTestApp(setup.db, WITH_METRICS);
    const res = await request(app).get('/metrics').set('Authorization', `bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(res.text);
    // prom-client counts CPU from when the app's registry was made, in the kernel's 10 ms ticks: present, maybe still 0.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
  });
});

describe('counters', () => {
  it('counts a sign-in, a refresh, a reuse and an anonymous /api/me, each under its own label', async () => {
    const clock = fakeClock();
    const { app } = buildTestApp(setup.db, WITH_METRICS, clock);
    const before = (await scrape(app)).samples;
    for (const outcome of ['ok', 'grace', 'invalid', 'expired', 'reused', 'missing', 'unavailable'])
      expect(sampleValue(before, 'smriti_refresh_total', { outcome })).toBe(0);

    const { email } = await signedInBrowser(app);
    const browser = new Browser(app);
    expect((await browser.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    expect((await new Browser(app).post('/login', { email, password: 'not the password' })).status).toBe(401);
    const stolen = browser.jar.get(REFRESH_COOKIE)!;
    expect((await browser.post('/refresh')).status).toBe(200);
    clock.advance(11);
    const replay = await request(app).post('/refresh').set('Origin', 'http://smriti.test').set('Cookie', `${REFRESH_COOKIE}=${stolen}`);
    expect(replay.body.error).toBe('refresh_reused');
    expect((await request(app).get('/api/me')).status).toBe(401);
    expect((await request(app).post('/refresh').set('Origin', 'http://smriti.test')).status).toBe(401);

    const after = (await scrape(app)).samples;
    expect(sampleValue(after, 'smriti_sign_in_total', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(after, 'smriti_sign_in_total', { outcome: 'wrong_credentials' })).toBe(1);
    expect(sampleValue(after, 'smriti_refresh_total', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(after, 'smriti_refresh_total', { outcome: 'reused' })).toBe(1);
    expect(sampleValue(after, 'smriti_refresh_total', { outcome: 'missing' })).toBe(1);
    expect(sampleValue(after, 'smriti_auth_rejected_total', { reason: 'missing' })).toBe(1);
    expect(sampleValue(after, 'smriti_auth_rejected_total', { reason: 'invalid' })).toBe(0);
  });

  it('counts a refresh inside the grace window as grace, and an expired access token on the API as expired', async () => {
    const clock = fakeClock();
    const { app } = buildTestApp(setup.db, { ...WITH_METRICS, ACCESS_TOKEN_EXPIRY_SECONDS: '60' }, clock);
    const { browser } = await signedInBrowser(app);
    const first = browser.jar.get(REFRESH_COOKIE)!;
    expect((await browser.post('/refresh')).status).toBe(200);
    const twin = await request(app).post('/refresh').set('Origin', 'http://smriti.test').set('Cookie', `${REFRESH_COOKIE}=${first}`);
    expect(twin.status).toBe(200);
    clock.advance(200);
    expect((await browser.get('/api/me')).body.error).toBe('token_expired');

    const samples = (await scrape(app)).samples;
    expect(sampleValue(samples, 'smriti_refresh_total', { outcome: 'grace' })).toBe(1);
    expect(sampleValue(samples, 'smriti_auth_rejected_total', { reason: 'expired' })).toBe(1);
  });

  it('counts sign-ins refused by a rate limit as limited', async () => {
    await setup.db.query('DELETE FROM rate_limits');
    const { app } = buildTestApp(setup.db, WITH_METRICS, fakeClock(), { loginPerIp: { limit: 1, windowSeconds: 60 } });
    await new Browser(app).post('/login', { email: uniqueEmail(), password: 'whatever1' });
    expect((await new Browser(app).post('/login', { email: uniqueEmail(), password: 'whatever1' })).status).toBe(429);
    expect(sampleValue((await scrape(app)).samples, 'smriti_sign_in_total', { outcome: 'limited' })).toBe(1);
  });

  it('counts a refresh that cannot reach the database as unavailable', async () => {
    const { browser } = await signedInBrowser(buildTestApp(setup.db, WITH_METRICS).app);
    const down = openPostgres({ url: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    const { app } = buildTestApp(down, WITH_METRICS);
    const res = await request(app).post('/refresh').set('Origin', 'http://smriti.test').set('Cookie', browser.jar.header());
    expect(res.status).toBe(503);
    expect(sampleValue((await scrape(app)).samples, 'smriti_refresh_total', { outcome: 'unavailable' })).toBe(1);
    await down.close();
  });

  it('keeps each app’s counts to itself', async () => {
    const first = buildTestApp(setup.db, WITH_METRICS).app;
    const second = buildTestApp(setup.db, WITH_METRICS).app;
    await request(first).get('/api/me');
    expect(sampleValue((await scrape(first)).samples, 'smriti_auth_rejected_total', { reason: 'missing' })).toBe(1);
    expect(sampleValue((await scrape(second)).samples, 'smriti_auth_rejected_total', { reason: 'missing' })).toBe(0);
  });
});

describe('http_request_duration_seconds', () => {
  it('labels requests by route pattern, never by the URL with its ids', async () => {
    const { app } = buildTestApp(setup.db, WITH_METRICS);
    const { browser } = await signedInBrowser(app);
    const id = '00000000-0000-4000-8000-00000000abcd';
    await browser.get(`/journal/${id}`);
    await browser.get(`/journal/${id}/edit`);
    await browser.json('get', `/api/entries/${id}`);
    await request(app).get(`/no-such-page-${id}`);
    await request(app).get('/css/app.css');

    const { text, samples } = await scrape(app);
    const count = (route: string, status: string) =>
      sampleValue(samples, 'http_request_duration_seconds_count', { method: 'GET', route, status });
    expect(count('/journal/:id', '404')).toBe(1);
    expect(count('/journal/:id/edit', '404')).toBe(1);
    expect(count('/api/entries/:id', '404')).toBe(1);
    expect(count('none', '404')).toBe(1);
    expect(count('/css/*', '200')).toBe(1);
    expect(sampleValue(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/register', status: '303' })).toBe(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain(browser.jar.get(REFRESH_COOKIE)!);
  });
});
