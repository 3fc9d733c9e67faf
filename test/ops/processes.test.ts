import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/app.js';
import { serverDatabaseUrl } from '../helpers/db.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const SECRET = randomBytes(32).toString('hex');
const METRICS_TOKEN = randomBytes(24).toString('hex');
const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };

function signIn(server: ServerProcess, email: string, password: string) {
  return request(server.origin).post('/login').set(SAME_ORIGIN).type('form').send({ email, password });
}

describe('two app processes on one PostgreSQL, with the default limits', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    database = await serverDatabaseUrl();
    const env = { DATABASE_URL: database.url, JWT_SECRET: SECRET, BCRYPT_ROUNDS: '4' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('refuses the 31st failed sign-in from one address, alternating between them (30 per 15 minutes)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await signIn(i % 2 === 0 ? a : b, uniqueEmail('ip'), 'wrong password')).status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses[30]).toBe(429);
    const again = await signIn(a, uniqueEmail('ip'), 'wrong password');
    expect(again.status).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(14 * 60);
  });
});

describe('WEB_CONCURRENCY=2 and GET /metrics', () => {
  it('answers one scrape with the sum over both workers', async () => {
    const database = await serverDatabaseUrl();
    const server = await startServerProcess({ DATABASE_URL: database.url, JWT_SECRET: SECRET, WEB_CONCURRENCY: '2', METRICS_TOKEN });
    try {
      await server.waitForLine(/listening on/, 2);
      const anonymous = 20;
      for (let i = 0; i < anonymous; i++) expect((await request(server.origin).get('/api/me')).status).toBe(401);
      await server.waitForLine(/"url":"\/api\/me"/, anonymous);
      const servedBy = new Set(server.lines.filter((l) => l.includes('"url":"/api/me"')).map((l) => JSON.parse(l).pid as number));
      expect(servedBy.size).toBe(2);

      const res = await request(server.origin).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
      expect(res.status).toBe(200);
      const samples = parsePrometheus(res.text);
      expect(sampleValue(samples, 'smriti_auth_rejected_total', { reason: 'missing' })).toBe(anonymous);
      const count = { method: 'GET', route: '/api/me', status: '401' };
      expect(sampleValue(samples, 'http_request_duration_seconds_count', count)).toBe(anonymous);
      expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    } finally {
      expect(await server.stop()).toBe(0);
      await database.drop();
    }
  }, 90_000);
});
