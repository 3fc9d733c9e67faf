import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { createRevokedSessions, listenForRevocations } from '../../src/auth/revocations.js';
import { createUserCache } from '../../src/auth/user-cache.js';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { fakeClock, LogCapture, NO_RATE_LIMITS, signedInBrowser, testConfig, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { answerWithin } from '../helpers/poll.js';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

/** The app as a server process runs it: hearing revocations and user changes, with a cache of user rows. */
async function listeningApp() {
  const config = testConfig();
  const clock = fakeClock();
  const logger = createLogger('info', new LogCapture());
  const revokedSessions = createRevokedSessions(config.jwt, clock.now);
  const userCache = createUserCache(clock.now);
  const stop = await listenForRevocations(db, revokedSessions, logger, userCache);
  const app = createApp(config, { db, logger, now: clock.now, revokedSessions, userCache, rateLimits: NO_RATE_LIMITS });
  return { app, clock, userCache, stop };
}

/** Changes the row without the trigger's notice, as no code path can: shows whether a copy is being served. */
async function changeEmailUnannounced(id: string, email: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query('UPDATE users SET email = $2 WHERE id = $1', [id, email]);
  });
}

describe('the cache of user rows behind GET /api/me', () => {
  it('answers from its copy, drops it the moment the row changes, and reads a deleted account as gone', async () => {
    const { app, stop } = await listeningApp();
    try {
      const { browser, email } = await signedInBrowser(app);
      const me = () =>
        request(app)
          .get('/api/me')
          .set('Cookie', `${ACCESS_COOKIE}=${browser.jar.get(ACCESS_COOKIE)}`);
      const first = await me();
      expect(first.body.email).toBe(email);
      const id = first.body.id as string;

      await changeEmailUnannounced(id, uniqueEmail('unheard'));
      expect((await me()).body.email).toBe(email); // the copy: no database read

      const changed = uniqueEmail('changed');
      await db.query('UPDATE users SET email = $2 WHERE id = $1', [id, changed]);
      const seen = await answerWithin(
        async () => {
          const res = await me();
          return { body: res.body as { email: string }, status: res.body.email === changed ? 200 : 0 };
        },
        200,
        1000,
      );
      expect(seen.body.email).toBe(changed);

      await db.query('DELETE FROM users WHERE id = $1', [id]);
      const gone = await answerWithin(me, 401, 1000);
      expect(gone.status).toBe(401);
      expect(gone.body).toMatchObject({ error: 'token_invalid', message: 'This account no longer exists.' });
    } finally {
      await stop();
    }
  });

  it('reads the row again after five minutes even when no change was heard', async () => {
    const { app, clock, stop } = await listeningApp();
    try {
      const { browser, email } = await signedInBrowser(app);
      const me = () =>
        request(app)
          .get('/api/me')
          .set('Cookie', `${ACCESS_COOKIE}=${browser.jar.get(ACCESS_COOKIE)}`);
      const { id } = (await me()).body as { id: string };
      const unheard = uniqueEmail('unheard');
      await changeEmailUnannounced(id, unheard);
      expect((await me()).body.email).toBe(email);
      clock.advance(5 * 60); // the test profile's access token lives eight hours
      expect((await me()).body.email).toBe(unheard);
    } finally {
      await stop();
    }
  });

  it('is not used while the listener is not connected, so no unheard change can be served', async () => {
    const { app, userCache, stop } = await listeningApp();
    await stop();
    userCache.live = false; // as onDisconnect leaves it
    const { browser } = await signedInBrowser(app);
    const me = () =>
      request(app)
        .get('/api/me')
        .set('Cookie', `${ACCESS_COOKIE}=${browser.jar.get(ACCESS_COOKIE)}`);
    const { id } = (await me()).body as { id: string };
    const unheard = uniqueEmail('unheard');
    await changeEmailUnannounced(id, unheard);
    expect((await me()).body.email).toBe(unheard);
    expect(userCache.rows.size).toBe(0);
  });
});
