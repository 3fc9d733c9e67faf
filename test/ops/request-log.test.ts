import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

describe('the request log line', () => {
  it('holds the id, method, URL (its token redacted), address, status and time of each request, and nothing else', async () => {
    const t = buildTestApp(db);
    const browser = new Browser(t.app);
    const email = uniqueEmail();
    await browser.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    const answer = await request(t.app)
      .get('/api/me?token=not-for-the-log')
      .set('Cookie', browser.jar.header())
      .set('X-Request-Id', 'trace-42');
    expect(answer.status).toBe(200);
    const lines = t.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'request completed');
    const me = lines.find((l) => (l.req as { url: string }).url.startsWith('/api/me'))!;
    expect(me.req).toEqual({ id: 'trace-42', method: 'GET', url: '/api/me?token=[redacted]', remoteAddress: expect.any(String) });
    expect(me.res).toEqual({ statusCode: 200 });
    expect(me.responseTime).toEqual(expect.any(Number));
    expect(me.level).toBe(30);
    const register = lines.find((l) => (l.req as { url: string }).url === '/register')!;
    expect(register.req).toMatchObject({ method: 'POST', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(register.res).toEqual({ statusCode: 303 });
    expect(t.logs.text).not.toContain('not-for-the-log');
  });
});
