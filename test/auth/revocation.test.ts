import jwt from 'jsonwebtoken';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { createRevokedSessions, isSessionRevoked, markSessionsRevoked, parseRevocationNotice } from '../../src/auth/revocations.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_PASSWORD, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { answerWithin } from '../helpers/poll.js';

// Two app instances on one database, as two processes would be: each with its own revocation set,
// fed only by LISTEN/NOTIFY and its reload. One clock for both, so tokens agree on the time.
let db: Db;
let a: TestApp;
let b: TestApp;
const clock = fakeClock();
const stops: Array<() => Promise<void>> = [];
beforeAll(async () => {
  db = await createTestDb();
  a = buildTestApp(db, {}, clock);
  b = buildTestApp(db, {}, clock);
  stops.push(await a.listen(), await b.listen());
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await db.close();
});

const sidOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sid: string }).sid;

/** GET /api/me with exactly this access cookie, at instance `t`. */
function meWith(t: TestApp, access: string) {
  return request(t.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${access}`);
}

/** The same user signed in on a laptop and on a phone, both at instance a. */
async function twoDevices() {
  const { browser: laptop, email } = await signedInBrowser(a.app);
  const phone = new Browser(a.app);
  expect((await phone.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
  return { laptop, phone, email, laptopAccess: laptop.jar.get(ACCESS_COOKIE)!, phoneAccess: phone.jar.get(ACCESS_COOKIE)! };
}

/** The ended access token is refused with token_revoked on both instances within a second. */
async function expectRefusedEverywhere(access: string): Promise<void> {
  for (const t of [a, b]) {
    const res = await answerWithin(() => meWith(t, access), 401, 1000);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'token_revoked', message: expect.stringMatching(/signed out/) });
  }
}

async function expectStillWorks(access: string): Promise<void> {
  for (const t of [a, b]) expect((await meWith(t, access)).status).toBe(200);
}

describe('a session that ends stops its access tokens on every instance', () => {
  it('on sign-out', async () => {
    const { laptop, laptopAccess, phoneAccess } = await twoDevices();
    await expectStillWorks(laptopAccess);
    expect((await laptop.post('/logout')).status).toBe(303);
    await expectRefusedEverywhere(laptopAccess);
    await expectStillWorks(phoneAccess);
  });

  it('when another device revokes it from the account page', async () => {
    const { laptop, phone, laptopAccess, phoneAccess } = await twoDevices();
    expect((await laptop.post(`/account/sessions/${sidOf(phone)}/revoke`)).status).toBe(303);
    await expectRefusedEverywhere(phoneAccess);
    await expectStillWorks(laptopAccess);
  });

  it('on "sign out everywhere else", except the session that asked', async () => {
    const { laptop, laptopAccess, phoneAccess } = await twoDevices();
    expect((await laptop.post('/account/sessions/revoke-others')).status).toBe(303);
    await expectRefusedEverywhere(phoneAccess);
    await expectStillWorks(laptopAccess);
  });

  it('on a password change, except the session that changed it', async () => {
    const { laptop, laptopAccess, phoneAccess } = await twoDevices();
    const changed = await laptop.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: 'a brand new passphrase',
      new_password_confirm: 'a brand new passphrase',
    });
    expect(changed.status).toBe(303);
    await expectRefusedEverywhere(phoneAccess);
    await expectStillWorks(laptopAccess);
  });

  it('when a stolen refresh token is replayed after the grace window (reuse detected)', async () => {
    const { phone, laptopAccess } = await twoDevices();
    const stolen = phone.jar.get(REFRESH_COOKIE)!;
    expect((await phone.post('/refresh')).status).toBe(200);
    const phoneAccess = phone.jar.get(ACCESS_COOKIE)!;
    clock.advance(11);
    const replay = await request(b.app).post('/refresh').set('Origin', 'http://smriti.test').set('Cookie', `${REFRESH_COOKIE}=${stolen}`);
    expect(replay.body.error).toBe('refresh_reused');
    await expectRefusedEverywhere(phoneAccess);
    await expectStillWorks(laptopAccess);
  });

  it('and an instance started afterwards refuses it too, from its reload', async () => {
    const { laptop, laptopAccess } = await twoDevices();
    await laptop.post('/logout');
    await expectRefusedEverywhere(laptopAccess);
    const late = buildTestApp(db, {}, clock);
    expect((await meWith(late, laptopAccess)).status).toBe(200); // it has heard nothing yet
    const stop = await late.listen();
    try {
      expect((await meWith(late, laptopAccess)).body.error).toBe('token_revoked');
    } finally {
      await stop();
    }
  });

  it('sends a page whose session was revoked elsewhere to sign in with flash=session_ended', async () => {
    const { laptop, phone } = await twoDevices();
    await laptop.post('/account/sessions/revoke-others');
    // A polled GET that still got the page keeps its cookies; the first refused one clears them.
    const page = await answerWithin(() => phone.get('/journal'), 303, 1000);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?flash=session_ended&next=%2Fjournal');
    expect(phone.jar.get(ACCESS_COOKIE)).toBeUndefined();
  });
});

describe('the in-memory set of revoked sessions', () => {
  it('forgets a session once no access token of it can still be valid, so it cannot grow without bound', () => {
    const local = fakeClock();
    const revoked = createRevokedSessions({ accessTtlSeconds: 60, leewaySeconds: 5 }, local.now);
    const sids = Array.from({ length: 5000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    markSessionsRevoked(revoked, sids, local.now());
    expect(isSessionRevoked(revoked, sids[0]!)).toBe(true);
    local.advance(64);
    expect(isSessionRevoked(revoked, sids[0]!)).toBe(true);
    local.advance(2);
    expect(isSessionRevoked(revoked, sids[0]!)).toBe(false);
    for (let round = 0; round < 20; round++) {
      markSessionsRevoked(revoked, [`10000000-0000-4000-8000-${String(round).padStart(12, '0')}`], local.now());
      local.advance(10);
    }
    // 5,000 old entries and 20 new ones, of which only those of the last 65 s can matter.
    expect(revoked.until.size).toBeLessThanOrEqual(8);
  });

  it('ignores notices that are not what end_sessions() or a change to a user row sends', () => {
    const sid = '0b4c7d3e-1f2a-4b5c-8d9e-0f1a2b3c4d5e';
    expect(parseRevocationNotice(JSON.stringify({ at: 1, sessions: [sid] }))).toEqual({ at: 1, sessions: [sid], users: [] });
    expect(parseRevocationNotice(JSON.stringify({ at: 1, sessions: [], users: [sid] }))).toEqual({ at: 1, sessions: [], users: [sid] });
    const junks = ['', 'x', '{}', '[]', 'null', '{"at":"1","sessions":[]}', `{"at":1,"sessions":["${sid.toUpperCase()}"]}`];
    for (const junk of [...junks, '{"at":1,"sessions":[],"users":"x"}', '{"at":1,"sessions":[],"users":["not-a-uuid"]}']) {
      expect(parseRevocationNotice(junk)).toBeUndefined();
    }
  });
});
