import jwt from 'jsonwebtoken';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { hashToken } from '../../src/auth/sessions.js';
import { type Db, openPostgres } from '../../src/db/db.js';
import { buildTestApp, fakeClock, signedInBrowser, TEST_ORIGIN, type TestApp } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
let t: TestApp;
beforeAll(async () => {
  db = await createTestDb({ max: 20 });
  t = buildTestApp(db, { ACCESS_TOKEN_EXPIRY_SECONDS: '600', REFRESH_TOKEN_EXPIRY_SECONDS: '86400' });
});
afterAll(() => db.close());

interface Row {
  id: string;
  is_valid: boolean;
  used_at: Date | null;
  replaced_by: string | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
}
async function rowFor(token: string): Promise<Row> {
  const result = await db.query<Row>(
    'SELECT id, is_valid, used_at, replaced_by, revoked_at, revoked_reason FROM refresh_tokens WHERE token_hash = $1',
    [hashToken(token)],
  );
  return result.rows[0]!;
}
async function familyOf(token: string) {
  const sid = (jwt.decode(token) as { sid: string }).sid;
  const rows = await db.query<Row & { family_id: string }>(
    'SELECT id, is_valid, used_at, revoked_at, revoked_reason, family_id FROM refresh_tokens WHERE family_id = $1',
    [sid],
  );
  return rows.rows;
}
async function auditTypes(userId: string): Promise<string[]> {
  const rows = await db.query<{ type: string }>('SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id', [userId]);
  return rows.rows.map((r) => r.type);
}
function refreshWith(app: TestApp['app'], token: string) {
  return request(app).post('/refresh').set('Origin', TEST_ORIGIN).set('Cookie', `${REFRESH_COOKIE}=${token}`);
}

describe('POST /refresh', () => {
  it('rotates: a new pair in the same family, the old token marked used and replaced', async () => {
    const { browser } = await signedInBrowser(t.app);
    const before = browser.jar.get(REFRESH_COOKIE)!;
    const res = await browser.post('/refresh');
    expect(res.status).toBe(200);
    const after = browser.jar.get(REFRESH_COOKIE)!;
    const newAccess = jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { exp: number; sid: string };
    expect(res.body).toEqual({ accessTokenExpiresAt: newAccess.exp });
    expect(after).not.toBe(before);
    expect((jwt.decode(after) as { sid: string }).sid).toBe((jwt.decode(before) as { sid: string }).sid);
    expect(newAccess.sid).toBe((jwt.decode(before) as { sid: string }).sid);
    const old = await rowFor(before);
    const fresh = await rowFor(after);
    expect(old).toMatchObject({ is_valid: false, replaced_by: fresh.id, revoked_at: null });
    expect(old.used_at).toBeInstanceOf(Date);
    expect(fresh).toMatchObject({ is_valid: true, used_at: null });
  });

  it('stores only the SHA-256 of a refresh token', async () => {
    const { browser } = await signedInBrowser(t.app);
    const token = browser.jar.get(REFRESH_COOKIE)!;
    const dump = await db.query<{ row: string }>('SELECT row_to_json(r)::text AS row FROM refresh_tokens r');
    const all = dump.rows.map((r) => r.row).join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]);
    expect(all).toContain(hashToken(token));
  });

  it('gives a fresh pair, and no alarm, to a rotated token presented again within the grace window', async () => {
    const clock = fakeClock();
    const app = buildTestApp(db, {}, clock);
    const { browser } = await signedInBrowser(app.app);
    const original = browser.jar.get(REFRESH_COOKIE)!;
    expect((await refreshWith(app.app, original)).status).toBe(200);
    clock.advance(9);
    const again = await refreshWith(app.app, original);
    expect(again.status).toBe(200);
    const sibling = parseSetCookies(again).find((c) => c.name === REFRESH_COOKIE)!.value;
    expect((jwt.decode(sibling) as { sid: string }).sid).toBe((jwt.decode(original) as { sid: string }).sid);
    const family = await familyOf(original);
    expect(family.filter((r) => r.revoked_at)).toHaveLength(0);
  });

  it('answers 401 refresh_reused beyond the grace window and revokes the whole family', async () => {
    const clock = fakeClock();
    const app = buildTestApp(db, {}, clock);
    const { browser } = await signedInBrowser(app.app);
    const stolen = browser.jar.get(REFRESH_COOKIE)!;
    const userId = (jwt.decode(stolen) as { sub: string }).sub;
    expect((await browser.post('/refresh')).status).toBe(200);
    const current = browser.jar.get(REFRESH_COOKIE)!;
    clock.advance(11);

    const reuse = await refreshWith(app.app, stolen);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error).toBe('refresh_reused');
    expect(reuse.body.message).toMatch(/signed out for your safety/);
    const cleared = parseSetCookies(reuse)
      .filter((c) => c.value === '')
      .map((c) => c.name)
      .sort();
    expect(cleared).toEqual([ACCESS_COOKIE, REFRESH_COOKIE]);

    const family = await familyOf(stolen);
    expect(family.every((r) => !r.is_valid && r.revoked_reason === 'refresh_reuse_detected')).toBe(true);
    const victim = await refreshWith(app.app, current);
    expect(victim.status).toBe(401);
    expect(victim.body.error).toBe('refresh_reused');
    expect(await auditTypes(userId)).toContain('refresh_reuse_detected');
  });

  it('answers 401 refresh_expired once the refresh lifetime and leeway have passed', async () => {
    const clock = fakeClock();
    const app = buildTestApp(db, { ACCESS_TOKEN_EXPIRY_SECONDS: '60', REFRESH_TOKEN_EXPIRY_SECONDS: '3600' }, clock);
    const { browser } = await signedInBrowser(app.app);
    clock.advance(3600 + 59);
    expect((await browser.post('/refresh')).status).toBe(200);
    clock.advance(3600 + 60);
    const res = await browser.post('/refresh');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'refresh_expired' });
    expect(browser.jar.get(REFRESH_COOKIE)).toBeUndefined();
  });

  it('answers 401 refresh_missing without a cookie and refresh_invalid for junk or an access token', async () => {
    const missing = await request(t.app).post('/refresh').set('Origin', TEST_ORIGIN);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: 'refresh_missing', message: 'You are not signed in.' });
    for (const junk of ['garbage', 'a.b.c', '%00%ff', 'e'.repeat(6000)]) {
      const res = await refreshWith(t.app, junk);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('refresh_invalid');
    }
    const { browser } = await signedInBrowser(t.app);
    const asAccess = await refreshWith(t.app, browser.jar.get(ACCESS_COOKIE)!);
    expect(asAccess.body.error).toBe('refresh_invalid');
  });

  it('answers 503 and leaves cookies untouched when the database is down', async () => {
    const { browser } = await signedInBrowser(t.app);
    const down = openPostgres({ url: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 300 });
    const offline = buildTestApp(down);
    const res = await request(offline.app)
      .post('/refresh')
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', `${REFRESH_COOKIE}=${browser.jar.get(REFRESH_COOKIE)}`);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('unavailable');
    expect(res.headers['set-cookie']).toBeUndefined();
    await down.close();
    expect((await browser.post('/refresh')).status).toBe(200);
  });

  it('keeps the family consistent under 50 concurrent refreshes of one token', async () => {
    const clock = fakeClock();
    const app = buildTestApp(db, {}, clock);
    const { browser } = await signedInBrowser(app.app);
    const token = browser.jar.get(REFRESH_COOKIE)!;
    const responses = await Promise.all(Array.from({ length: 50 }, () => refreshWith(app.app, token)));
    expect(responses.filter((r) => r.status >= 500)).toHaveLength(0);
    expect(responses.every((r) => r.status === 200)).toBe(true);

    let family = await familyOf(token);
    expect(family.filter((r) => r.revoked_at)).toHaveLength(0);
    // One successor plus a grace sibling for each of the other 49 in-flight requests.
    expect(family.filter((r) => r.is_valid)).toHaveLength(50);
    expect(family.filter((r) => !r.is_valid)).toHaveLength(1);

    // After the window, the next rotation spends every sibling: one live token is left.
    clock.advance(11);
    const last = parseSetCookies(responses[49]!).find((c) => c.name === REFRESH_COOKIE)!.value;
    expect((await refreshWith(app.app, last)).status).toBe(200);
    family = await familyOf(token);
    expect(family.filter((r) => r.is_valid)).toHaveLength(1);
    const other = parseSetCookies(responses[0]!).find((c) => c.name === REFRESH_COOKIE)!.value;
    clock.advance(11);
    const orphan = await refreshWith(app.app, other);
    expect(orphan.body.error).toBe('refresh_reused');
  });
});
