// Entry days at the ends of the range (years 1 and 9999): imports refuse a day outside it, store
// one inside it exactly, and every page and export copes with whatever day an old row holds.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { listMigrations, MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js';
import { type Browser, buildTestApp, signedInBrowser, type TestApp, useTestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

const setup = useTestApp();

const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;
const dayOne = (entries: unknown[]) => JSON.stringify({ metadata: { version: '1.0' }, entries });
const smriti = (entries: unknown[]) => JSON.stringify({ format: 'smriti-export', version: 1, entries });

async function daysOf(db: Db, browser: Browser): Promise<string[]> {
  const { rows } = await db.query<{ day: string }>('SELECT entry_date::text AS day FROM entries WHERE user_id = $1 ORDER BY 1', [
    userIdOf(browser),
  ]);
  return rows.map((r) => r.day);
}

async function writerIn(t: TestApp, timeZone: string): Promise<Browser> {
  const { browser } = await signedInBrowser(t.app);
  expect((await browser.json('put', '/api/account/time-zone', { timeZone })).status).toBe(204);
  return browser;
}

/** Every page that shows entries, and both exports read to their end: each must answer 200. */
async function expectEveryPageWorks(browser: Browser, entryIds: string[], months: string[], word: string) {
  const paths = [
    '/journal',
    ...months.map((m) => `/journal?month=${m}`),
    ...entryIds.flatMap((id) => [`/journal/${id}`, `/journal/${id}/edit`]),
    `/journal?q=${word}`,
    '/journal/trash',
  ];
  for (const path of paths) expect([path, (await browser.get(path)).status]).toEqual([path, 200]);
  const json = await browser.get('/account/export');
  expect(json.status).toBe(200);
  expect(JSON.parse(json.text).entries.length).toBe(entryIds.length + 1); // the trashed one too
  const markdown = await browser.get('/account/export?format=markdown');
  expect(markdown.status).toBe(200);
  expect(markdown.text.match(/<!-- smriti-entry /g)?.length).toBe(entryIds.length + 1);
}

describe('imported days at the ends of the range', () => {
  it('refuses a Day One entry whose day in its own zone is in the year 10000 (9999-12-31T23:59:59Z in Pacific/Kiritimati)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const file = dayOne([{ text: 'Last second', creationDate: '9999-12-31T23:59:59Z', timeZone: 'Pacific/Kiritimati' }]);
    const res = await browser.upload('/account/import', 'file', file, 'Journal.json');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Nothing was imported.');
    expect(res.text).toContain('10000-01-01 in Pacific/Kiritimati; a journal day must be between 0001-01-01 and 9999-12-31');
    expect(await daysOf(setup.db, browser)).toEqual([]);
  });

  it('refuses a Smriti export entry written late on 9999-12-31 UTC when the writer is in Asia/Kolkata', async () => {
    const browser = await writerIn(setup.t, 'Asia/Kolkata');
    const file = smriti([{ title: 'Late', body: 'x', createdAt: '9999-12-31T20:00:00.000Z' }]);
    const res = await browser.upload('/account/import', 'file', file);
    expect(res.status).toBe(400);
    expect(res.text).toContain('entries[0]: written 9999-12-31T20:00:00.000Z, which is the day 10000-01-01 in Asia/Kolkata');
    expect(await daysOf(setup.db, browser)).toEqual([]);
  });

  it('refuses a Day One entry whose day falls before the year 1 (0001-01-01T00:00:00Z in America/New_York)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const file = dayOne([{ text: 'First second', creationDate: '0001-01-01T00:00:00Z', timeZone: 'America/New_York' }]);
    const res = await browser.upload('/account/import', 'file', file, 'Journal.json');
    expect(res.status).toBe(400);
    expect(res.text).toContain('the day 0000-12-31 in America/New_York');
    expect(await daysOf(setup.db, browser)).toEqual([]);
  });

  it('answers the API and the form a day outside the range with a sentence naming the range', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const entryDate of ['10000-01-01', '0000-12-31']) {
      const api = await browser.json('post', '/api/entries', { title: 'x', body: 'y', entryDate });
      expect(api.status).toBe(400);
      expect(api.body.message).toContain('must be a day from 0001-01-01 to 9999-12-31');
      const form = await browser.post('/journal', { title: 'x', body: 'y', entry_date: entryDate });
      expect(form.status).toBe(400);
      expect(form.text).toContain('must be a day from 0001-01-01 to 9999-12-31');
    }
    expect(await daysOf(setup.db, browser)).toEqual([]);
  });

  it('stores the first and last days exactly (not 2012-01-01) and every page and both exports show them', async () => {
    const browser = await writerIn(setup.t, 'Asia/Kolkata');
    const file = smriti([
      { title: 'Year one', body: 'sundial', createdAt: '0001-01-12T10:00:00.000Z' },
      { title: 'Year 9999', body: 'sundial', createdAt: '9999-12-31T10:00:00.000Z' },
      { title: 'Binned', body: 'sundial', createdAt: '9999-12-30T10:00:00.000Z', trashedAt: '9999-12-30T11:00:00.000Z' },
    ]);
    expect((await browser.upload('/account/import', 'file', file)).status).toBe(303);
    expect(await daysOf(setup.db, browser)).toEqual(['0001-01-12', '9999-12-30', '9999-12-31']);
    const live = (await browser.json('get', '/api/entries')).body.entries as { id: string }[];
    await expectEveryPageWorks(
      browser,
      live.map((e) => e.id),
      ['0001-01', '9999-12'],
      'sundial',
    );
    const page = (await browser.get('/journal')).text;
    expect(page).toContain('Friday, 31 December 9999');
    expect(page).toContain('January 1');
    expect((await browser.get('/account/export?format=markdown')).text).toContain('_Friday, 31 December 9999 · written');
  });
});

describe('a day already stored outside the range (a row older than the check)', () => {
  let db: Db;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDb();
    t = buildTestApp(db);
    // This file's own database: the row is put there as an old release or a restore could have left it.
    await db.query('ALTER TABLE entries DROP CONSTRAINT IF EXISTS entries_entry_date_range');
  });
  afterAll(() => db.close());

  it('fails no page: the journal, its months, the entry, search, the trash and both exports answer 200', async () => {
    const { browser } = await signedInBrowser(t.app);
    const userId = userIdOf(browser);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO entries (user_id, title, body, entry_date, created_at, updated_at, deleted_at)
       SELECT $1, 'Odd ' || d, 'meteor', d::date, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', NULL
         FROM unnest(ARRAY['10000-01-01', 'infinity', '0044-03-15 BC', '275760-09-14']) AS d
       RETURNING id`,
      [userId],
    );
    await db.query(`UPDATE entries SET deleted_at = '2024-01-02T00:00:00Z' WHERE id = $1 AND user_id = $2`, [rows[3]!.id, userId]);
    await expectEveryPageWorks(
      browser,
      rows.slice(0, 3).map((r) => r.id),
      ['9999-12'],
      'meteor',
    );
    expect((await browser.get('/journal')).text).toContain('Saturday, 1 January 10000');
    // Saving the entry as it is asks for a day in range, in a sentence, rather than failing.
    const saved = await browser.post(`/journal/${rows[0]!.id}`, { title: 'Odd', body: 'meteor', entry_date: '10000-01-01' });
    expect(saved.status).toBe(400);
    expect(saved.text).toContain('The date must be a day from 0001-01-01 to 9999-12-31, written as YYYY-MM-DD');
  });
});

describe('migration 039', () => {
  const RANGE_MIGRATION = '039_entry_date_range.sql';
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb({ migrate: false });
  });
  afterAll(() => db.close());

  it('moves a day stored outside 0001-01-01 to 9999-12-31 to the nearest one in range, then refuses such a day from any writer', async () => {
    const before = mkdtempSync(join(tmpdir(), 'smriti-before-039-'));
    for (const name of listMigrations().filter((n) => n < RANGE_MIGRATION)) copyFileSync(join(MIGRATIONS_DIR, name), join(before, name));
    await migrate(db, before);
    const user = await db.query<{ id: string }>(`INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id`);
    const userId = user.rows[0]!.id;
    await db.query(
      `INSERT INTO entries (user_id, title, body, entry_date)
       SELECT $1, d, 'x', d::date FROM unnest(ARRAY['10000-01-01', 'infinity', '0044-03-15 BC', '2024-05-01']) AS d`,
      [userId],
    );

    expect(await migrate(db)).toContain(RANGE_MIGRATION);

    const { rows } = await db.query<{ title: string; day: string }>(
      'SELECT title, entry_date::text AS day FROM entries WHERE user_id = $1 ORDER BY title',
      [userId],
    );
    expect(rows).toEqual([
      { title: '0044-03-15 BC', day: '0001-01-01' },
      { title: '10000-01-01', day: '9999-12-31' },
      { title: '2024-05-01', day: '2024-05-01' },
      { title: 'infinity', day: '9999-12-31' },
    ]);
    await expect(
      db.query(`UPDATE entries SET entry_date = '10000-01-01' WHERE user_id = $1 AND title = '2024-05-01'`, [userId]),
    ).rejects.toThrow(/entries_entry_date_range/);
  });
});
