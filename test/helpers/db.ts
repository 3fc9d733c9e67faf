// A clean database per test file: its own schema on TEST_DATABASE_URL, else an in-memory PGlite.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { type Db, openPglite, openPostgres } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** Runs one statement on TEST_DATABASE_URL outside any test schema (create or drop a schema). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A schema of its own on the test server, reached through DATABASE_URL as a server process would. */
export async function serverDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `proc_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

let snapshot: Blob | undefined;

/** The run's migrated PGlite, read once per worker (the files of a worker share this module). */
function migratedSnapshot(): Blob | undefined {
  const path = inject('pgliteSnapshot');
  if (path && !snapshot) snapshot = new Blob([readFileSync(path)]);
  return snapshot;
}

export async function createTestDb(options: { migrate?: boolean; max?: number; statementTimeoutMs?: number } = {}): Promise<Db> {
  let db: Db;
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const schema = `test_${randomBytes(8).toString('hex')}`;
    await adminQuery(`CREATE SCHEMA ${schema}`);
    const inner = openPostgres({ url, schema, max: options.max ?? 10, statementTimeoutMs: options.statementTimeoutMs });
    db = {
      ...inner,
      async close() {
        await inner.close();
        await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      },
    };
  } else {
    // A migrated database starts from the run's snapshot (test/helpers/global-setup.ts); migrate()
    // below then finds every file applied, and still fails if one were not.
    db = await openPglite(undefined, options.migrate !== false ? migratedSnapshot() : undefined);
  }
  if (options.migrate !== false) await migrate(db);
  return db;
}
