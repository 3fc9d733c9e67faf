import jwt from 'jsonwebtoken';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, TEST_ORIGIN, TEST_PASSWORD, type TestApp, uniqueEmail } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
let t: TestApp;
const clock = fakeClock();
beforeAll(async () => {
  db = await createTestDb({ max: 20 });
  t = buildTestApp(db, {}, clock);
});
afterAll(() => db.close());

const USERS = 5;
const SESSIONS_PER_USER = 4;
const REFRESHES_PER_SESSION = 10;

interface Session {
  userIndex: number;
  email: string;
  sid: string;
  access: string;
  refresh: string;
}

function refreshWith(token: string): Promise<Response> {
  return request(t.app).post('/refresh').set('Origin', TEST_ORIGIN).set('Cookie', `${REFRESH_COOKIE}=${token}`);
}
const newRefreshOf = (res: Response) => parseSetCookies(res).find((c) => c.name === REFRESH_COOKIE && c.value)?.value;

async function familyState(sid: string) {
  const rows = await db.query<{ is_valid: boolean; revoked_at: Date | null }>(
    'SELECT is_valid, revoked_at FROM refresh_tokens WHERE family_id = $1',
    [sid],
  );
  return {
    valid: rows.rows.filter((r) => r.is_valid).length,
    revoked: rows.rows.filter((r) => r.revoked_at).length,
    total: rows.rows.length,
  };
}

describe('racing refreshes, sign-outs and password changes', () => {
  it('leaves every family fully revoked or with one live token, and no revoked family can mint', async () => {
    const sessions: Session[] = [];
    for (let u = 0; u < USERS; u++) {
      const email = uniqueEmail(`race${u}`);
      await new Browser(t.app).post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
      for (let s = 0; s < SESSIONS_PER_USER; s++) {
        const browser = new Browser(t.app);
        await browser.post('/login', { email, password: TEST_PASSWORD });
        const refresh = browser.jar.get(REFRESH_COOKIE)!;
        sessions.push({
          userIndex: u,
          email,
          sid: (jwt.decode(refresh) as { sid: string }).sid,
          access: browser.jar.get(ACCESS_COOKIE)!,
          refresh,
        });
      }
    }
    expect(sessions).toHaveLength(20);

    // 200 refreshes (10 per family) fired together with sign-outs of some sessions and password changes of some users.
    const signOuts = sessions.filter((_, i) => i % 5 === 1);
    const passwordChangers = sessions.filter((s, i) => s.userIndex % 2 === 0 && i % SESSIONS_PER_USER === 0);
    const refreshes = sessions.flatMap((s) =>
      Array.from({ length: REFRESHES_PER_SESSION }, () => refreshWith(s.refresh).then((res) => ({ s, res }))),
    );
    const others = [
      ...signOuts.map((s) =>
        request(t.app)
          .post('/logout')
          .set('Origin', TEST_ORIGIN)
          .set('Cookie', `${ACCESS_COOKIE}=${s.access}; ${REFRESH_COOKIE}=${s.refresh}`),
      ),
      ...passwordChangers.map((s) =>
        request(t.app)
          .post('/account/password')
          .set('Origin', TEST_ORIGIN)
          .type('form')
          .set('Cookie', `${ACCESS_COOKIE}=${s.access}`)
          .send({ current_password: TEST_PASSWORD, new_password: 'changed in the race', new_password_confirm: 'changed in the race' }),
      ),
    ];
    const [results, otherResults] = await Promise.all([Promise.all(refreshes), Promise.all(others)]);
    expect(results).toHaveLength(200);
    expect(results.filter(({ res }) => res.status >= 500)).toEqual([]);
    expect(otherResults.every((res) => res.status === 303)).toBe(true);
    for (const { res } of results) expect([200, 401]).toContain(res.status);

    const revokedSids = new Set<string>(signOuts.map((s) => s.sid));
    for (const changer of passwordChangers) {
      for (const s of sessions) if (s.userIndex === changer.userIndex && s.sid !== changer.sid) revokedSids.add(s.sid);
    }
    // A session signed out by one racer while another changed the password is revoked either way.
    for (const s of sessions) {
      const state = await familyState(s.sid);
      if (revokedSids.has(s.sid)) {
        expect(state.valid, `revoked family ${s.sid}`).toBe(0);
        expect(state.revoked).toBe(state.total);
      } else {
        expect(state.revoked).toBe(0);
        expect(state.valid).toBeGreaterThanOrEqual(1);
        expect(state.valid).toBeLessThanOrEqual(REFRESHES_PER_SESSION);
      }
    }

    // After the grace window: every token a revoked family ever handed out is refused...
    clock.advance(11);
    for (const { s, res } of results) {
      const minted = newRefreshOf(res);
      if (!minted || !revokedSids.has(s.sid)) continue;
      expect((await refreshWith(minted)).status).toBe(401);
    }
    // ...and one more rotation in each live family leaves exactly one live token.
    for (const s of sessions.filter((x) => !revokedSids.has(x.sid))) {
      const minted = results
        .filter((r) => r.s === s)
        .map((r) => newRefreshOf(r.res))
        .filter(Boolean)[0]!;
      expect((await refreshWith(minted)).status).toBe(200);
      expect((await familyState(s.sid)).valid).toBe(1);
    }
    for (const sid of revokedSids) expect((await familyState(sid)).valid).toBe(0);
  });
});
