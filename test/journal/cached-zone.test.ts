// Pages take the writer's zone from the process's cache of user rows. A zone saved by this process
// must show on the very next page, before (or without) the change notice that clears other copies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserCache, resetUserCache } from '../../src/auth/user-cache.js';
import type { Db } from '../../src/db/db.js';
import { buildTestApp, signedInBrowser, type TestApp, writeEntry } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
let t: TestApp;

beforeAll(async () => {
  db = await createTestDb();
  const userCache = createUserCache(Date.now);
  // Live as if a listener were hearing changes; none is, so only the saving process's own forget helps.
  resetUserCache(userCache, true);
  t = buildTestApp(db, {}, undefined, {}, { userCache });
});
afterAll(() => db.close());

describe('the writer’s zone with the user cache on', () => {
  it('shows a changed zone on the next page', async () => {
    t.clock.advance((Date.parse('2031-03-04T19:00:00Z') - t.clock.now()) / 1000);
    const { browser } = await signedInBrowser(t.app);
    const id = await writeEntry(browser, 'Evening', 'Lamps on.');
    // The first page caches the row with the zone UTC.
    expect((await browser.get(`/journal/${id}`)).text).toContain('19:00</time>');
    expect((await browser.json('put', '/api/account/time-zone', { timeZone: 'Asia/Kolkata' })).status).toBe(204);
    const page = (await browser.get(`/journal/${id}`)).text;
    expect(page).toContain('00:30</time>');
    expect(page).not.toContain('19:00</time>');
  });
});
