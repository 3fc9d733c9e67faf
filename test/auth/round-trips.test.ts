import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

/**
 * The same database, counting what the app sends it: each statement, and each transaction (≥ 3 round
 * trips). What notify/ does after a response has gone (devices, security emails: its statements are
 * named notify_*) is no part of the answer's cost, and lands in any request's window, so it is left out.
 */
function counted(db: Db) {
  const counts = { statements: 0, transactions: 0 };
  const wrapped: Db = {
    ...db,
    query: (sql, params, name) => {
      if (!name?.startsWith('notify_')) counts.statements += 1;
      return db.query(sql, params, name);
    },
    transaction: (work) => {
      counts.transactions += 1;
      return db.transaction(work);
    },
  };
  return { db: wrapped, counts, reset: () => Object.assign(counts, { statements: 0, transactions: 0 }) };
}

let db: Db;
let counter: ReturnType<typeof counted>;
let t: TestApp;
const clock = fakeClock();
beforeAll(async () => {
  db = await createTestDb();
  counter = counted(db);
  t = buildTestApp(counter.db, { REFRESH_REUSE_GRACE_SECONDS: '10' }, clock);
});
afterAll(() => db.close());

async function refreshWith(token: string) {
  const browser = new Browser(t.app);
  browser.jar.set(REFRESH_COOKIE, token);
  counter.reset();
  const res = await browser.post('/refresh');
  return { res, ...counter.counts };
}

describe('database round trips of a refresh', () => {
  it('is one statement and no transaction for an ordinary refresh', async () => {
    const { browser } = await signedInBrowser(t.app);
    const { res, statements, transactions } = await refreshWith(browser.jar.get(REFRESH_COOKIE)!);
    expect(res.status).toBe(200);
    expect({ statements, transactions }).toEqual({ statements: 1, transactions: 0 });
  });

  it('is one statement for a token presented again inside the grace window, and for a reuse after it', async () => {
    const { browser } = await signedInBrowser(t.app);
    const spent = browser.jar.get(REFRESH_COOKIE)!;
    expect((await refreshWith(spent)).res.status).toBe(200);
    const again = await refreshWith(spent);
    expect(again.res.status).toBe(200);
    expect({ statements: again.statements, transactions: again.transactions }).toEqual({ statements: 1, transactions: 0 });
    clock.advance(11);
    const reused = await refreshWith(spent);
    expect(reused.res.body.error).toBe('refresh_reused');
    expect({ statements: reused.statements, transactions: reused.transactions }).toEqual({ statements: 1, transactions: 0 });
  });

  it('asks the database nothing for a token it can refuse by itself', async () => {
    const { res, statements, transactions } = await refreshWith('not-a-token');
    expect(res.body.error).toBe('refresh_invalid');
    expect({ statements, transactions }).toEqual({ statements: 0, transactions: 0 });
  });
});
