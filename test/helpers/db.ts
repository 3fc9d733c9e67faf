// A clean database per test file, on the run's test server (TEST_DATABASE_URL, else the embedded one).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Db, openPostgres } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';

/** The run's test server, connected to a database the tests may create others from (test/helpers/global-setup.ts). */
export function testServerUrl(): string {
  return inject('testServerUrl');
}

function onDatabase(database: string): string {
  const url = new URL(testServerUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement on the test server outside any test database (create or drop a schema or database). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new database, a copy of the run's migrated template (named after it, so the run's end drops leftovers). */
async function migratedDatabase(): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `${inject('templateDatabase')}_f${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  return { name, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A migrated database of its own on the test server, reached through DATABASE_URL as a server process would. */
export async function serverDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await migratedDatabase();
  return { url: onDatabase(database.name), drop: database.drop };
}

const urls = new WeakMap<Db, string>();

/** The URL a test database was opened with (a test may reach the same database another way, e.g. through a proxy). */
export function testDbUrl(db: Db): string {
  const url = urls.get(db);
  if (!url) throw new Error('not a database from createTestDb');
  return url;
}

export async function createTestDb(options: { migrate?: boolean; max?: number; statementTimeoutMs?: number } = {}): Promise<Db> {
  const pool = { max: options.max ?? 10, statementTimeoutMs: options.statementTimeoutMs };
  if (options.migrate !== false) {
    const database = await migratedDatabase();
    const url = onDatabase(database.name);
    const inner = openPostgres({ url, ...pool });
    // migrate() finds every file applied, and still fails if one were not.
    await migrate(inner);
    const db: Db = {
      ...inner,
      async close() {
        await inner.close();
        await database.drop();
      },
    };
    urls.set(db, url);
    return db;
  }
  // Empty, for the tests of migrate() itself: a schema of its own in the server's admin database.
  const schema = `test_${randomBytes(8).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const inner = openPostgres({ url: testServerUrl(), schema, ...pool });
  return {
    ...inner,
    async close() {
      await inner.close();
      await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}
