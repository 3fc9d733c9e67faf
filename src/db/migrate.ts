// Applies migrations/*.sql in name order, each once, each in its own transaction.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Db, STATEMENT_TIMEOUTS, withStatementTimeout } from './db.js';

export const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', 'migrations');

export class MigrationError extends Error {
  override name = 'MigrationError';
}

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_406_311;

export function listMigrations(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => /^\d+_[\w-]+\.sql$/.test(name))
    .sort();
}

/** Returns the names applied by this call (empty when the schema was up to date). */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  // Under the lock too: CREATE TABLE IF NOT EXISTS is not safe against itself, and two processes
  // starting together on a new database both try it (one failed on a duplicate pg_type row).
  // Migrations may rewrite big tables, and wait for another process's: their own, longer timeout.
  await withStatementTimeout(db, STATEMENT_TIMEOUTS.migration, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: string[] = [];
  for (const name of listMigrations(dir)) {
    const sql = readFileSync(join(dir, name), 'utf8');
    const didApply = await withStatementTimeout(db, STATEMENT_TIMEOUTS.migration, async (tx) => {
      // Two processes starting together must not both apply the same file.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]);
      if (done.rows.length > 0) return false;
      await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      return true;
    }).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(`migration ${name} failed and was rolled back: ${reason}`);
    });
    if (didApply) applied.push(name);
  }
  return applied;
}
