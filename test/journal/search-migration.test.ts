import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../../src/db/db.js';
import { listMigrations, MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js';
import { searchEntries } from '../../src/journal/search.js';
import { signedInBrowser, useTestApp } from '../helpers/app.js';
import { adminQuery, createTestDb, testServerUrl } from '../helpers/db.js';

const SEARCH_MIGRATION = '010_entries_search.sql';

const opened: Db[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
});

async function freshDb(options: { migrate?: boolean } = {}): Promise<Db> {
  const db = await createTestDb(options);
  opened.push(db);
  return db;
}

/** The migrations before search, in a directory of their own. */
function migrationsBeforeSearch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smriti-before-search-'));
  for (const name of listMigrations().filter((n) => n < SEARCH_MIGRATION)) copyFileSync(join(MIGRATIONS_DIR, name), join(dir, name));
  return dir;
}

async function addUserWithEntry(db: Db, title: string, body: string): Promise<string> {
  const user = await db.query<{ id: string }>(`INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id`, [
    `${title.replace(/\W/g, '')}@example.com`,
  ]);
  const userId = user.rows[0]!.id;
  await db.query('INSERT INTO entries (user_id, title, body) VALUES ($1, $2, $3)', [userId, title, body]);
  return userId;
}

async function titlesFound(db: Db, userId: string, words: string[]): Promise<string[]> {
  return (await searchEntries(db, userId, words, 1)).hits.map((hit) => hit.entry.title);
}

describe('migration 010 (search)', () => {
  it('indexes the entries a table already holds when it runs', async () => {
    const db = await freshDb({ migrate: false });
    await migrate(db, migrationsBeforeSearch());
    const userId = await addUserWithEntry(db, 'Old entry', 'Written before search existed, at the café.');
    expect(await migrate(db)).toContain(SEARCH_MIGRATION);
    expect(await titlesFound(db, userId, ['cafe', 'existed'])).toEqual(['Old entry']);
    // The word index as the searches use it since migration 036: by writer, over live entries.
    const index = await db.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE indexname = 'entries_search_idx' AND schemaname = current_schema()`,
    );
    expect(index.rows[0]?.indexdef).toMatch(/USING gin \(user_id, search_vector\) WHERE \(deleted_at IS NULL\)/);
  });

  it('keeps the unaccent extension out of the migrated schema, so two schemas in one database both search', async () => {
    // A database of its own, where no schema has the extension yet (as on a new server).
    const scratch = await scratchDatabase();
    try {
      const first = await scratch.openMigrated('one');
      const second = await scratch.openMigrated('two');
      const firstUser = await addUserWithEntry(first, 'First', 'Crème fraîche.');
      const secondUser = await addUserWithEntry(second, 'Second', 'Crème brûlée.');
      expect(await titlesFound(first, firstUser, ['creme'])).toEqual(['First']);
      expect(await titlesFound(second, secondUser, ['creme'])).toEqual(['Second']);
      const where = await first.query<{ schema: string }>(
        `SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'unaccent'`,
      );
      expect(where.rows[0]!.schema).toBe('public');

      // Dropping the first schema with CASCADE (as every test file's clean-up does) must leave the second searching.
      await scratch.dropSchema('one');
      expect(await titlesFound(second, secondUser, ['creme', 'brulee'])).toEqual(['Second']);
      await second.query('INSERT INTO entries (user_id, title, body) VALUES ($1, $2, $3)', [secondUser, 'Later', 'Crème again.']);
      expect((await titlesFound(second, secondUser, ['creme'])).sort()).toEqual(['Later', 'Second']);
    } finally {
      await scratch.drop();
    }
  });
});

/** A throwaway PostgreSQL database on the test server, with migrated schemas in it. */
async function scratchDatabase() {
  const name = `smriti_search_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  const dbs: Db[] = [];
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  return {
    async openMigrated(schema: string): Promise<Db> {
      await run(`CREATE SCHEMA ${schema}`);
      const db = openPostgres({ url: url.toString(), schema, max: 2 });
      dbs.push(db);
      await migrate(db);
      return db;
    },
    dropSchema: (schema: string) => run(`DROP SCHEMA ${schema} CASCADE`),
    async drop() {
      await Promise.all(dbs.map((db) => db.close()));
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

describe('entries too large for a tsvector', () => {
  const setup = useTestApp();

  /** Distinct words, hyphenated in groups of `group` (each compound is indexed whole and in parts). */
  function hyphenated(word: (n: number) => string, group: number): string {
    const words = Array.from({ length: 100_000 }, (_, n) => word(n));
    const groups = Array.from({ length: words.length / group }, (_, i) => words.slice(i * group, (i + 1) * group).join('-'));
    return groups.join(' ').slice(0, 200_000);
  }

  // About 470 kB of UTF-8 whose tsvector would need 1.1 MB, over PostgreSQL's 1 MB limit.
  const cjk = (n: number) => String.fromCodePoint(0x4e00 + (n % 20000), 0x4e00 + Math.floor(n / 20000));
  // 200 kB of ASCII, the most any ASCII body can be, whose tsvector needs about 760 kB.
  const ascii = (n: number) => n.toString(36).padStart(3, '0');

  it('are saved, and found by the words of their first 50,000 characters', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const body = hyphenated(cjk, 200);
    const created = await browser.json('post', '/api/entries', { title: 'Long', body });
    expect(created.status).toBe(201);
    const found = await browser.json('get', `/api/entries?q=${encodeURIComponent(body.slice(0, 2))}`);
    expect(found.status).toBe(200);
    expect(found.body.entries.map((e: { id: string }) => e.id)).toEqual([created.body.id]);

    const asciiBody = hyphenated(ascii, 400);
    const saved = await browser.json('post', '/api/entries', { title: 'Ascii', body: asciiBody });
    expect(saved.status).toBe(201);
    const last = asciiBody.slice(asciiBody.lastIndexOf(' ') + 1).split('-')[0]!;
    const tail = await browser.json('get', `/api/entries?q=${last}`);
    expect(tail.body.entries.map((e: { id: string }) => e.id)).toEqual([saved.body.id]);
  });
});
