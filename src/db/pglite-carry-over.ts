// Once: an older release's PGlite directory (./data/pglite) copied into the embedded PostgreSQL server.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, Queryable } from './db.js';
import { migrate } from './migrate.js';

export class CarryOverError extends Error {
  override name = 'CarryOverError';
}

export interface CarryOverResult {
  tables: number;
  rows: number;
  /** Where the old directory now is. */
  keptAs: string;
}

// Any constant, the same in every process: two app processes starting together copy once.
const CARRY_OVER_LOCK_KEY = 7_406_312;
const BATCH_ROWS = 500;

type Lite = {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(work: (tx: Lite) => Promise<T>): Promise<T>;
  dumpDataDir(compression: 'none'): Promise<Blob>;
  close(): Promise<void>;
};

/** Just enough of Db over PGlite for migrate() to bring the copy to this release's schema. */
function liteAsDb(lite: Lite): Db {
  const asQueryable = (target: Pick<Lite, 'query' | 'exec'>): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const result = await target.query<T>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  return {
    description: 'PGlite',
    ...asQueryable(lite),
    transaction: (work) => lite.transaction((tx) => work(asQueryable(tx))),
    listen: () => Promise.reject(new Error('not used')),
    close: () => lite.close(),
  };
}

type PgliteModules = [
  typeof import('@electric-sql/pglite'),
  typeof import('@electric-sql/pglite/contrib/unaccent'),
  typeof import('@electric-sql/pglite/contrib/btree_gin'),
];

/** PGlite, loaded only now: an optional dependency, kept for reading an older release's directory. */
async function loadPglite(dir: string) {
  let modules: PgliteModules;
  try {
    modules = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/unaccent'),
      import('@electric-sql/pglite/contrib/btree_gin'),
    ]);
  } catch {
    throw new CarryOverError(`${dir} holds an older release's journal, and @electric-sql/pglite is needed to read it: run npm install`);
  }
  const [{ PGlite }, { unaccent }, { btree_gin }] = modules;
  const extensions = { unaccent, btree_gin };
  return (dataDir: string | undefined, image?: Blob) =>
    PGlite.create(dataDir, { extensions, loadDataDir: image }) as unknown as Promise<Lite>;
}

/** A PGlite directory as an older release opened it (the tests write one with the app on it). */
export async function openPgliteDirectory(dir: string): Promise<Db> {
  return liteAsDb(await (await loadPglite(dir))(dir));
}

/**
 * An in-memory copy of the old directory, migrated to this release: the directory itself is left as
 * the old release wrote it.
 */
async function openMigratedCopy(dir: string): Promise<Lite> {
  const open = await loadPglite(dir);
  const original = await open(dir);
  const image = await original.dumpDataDir('none');
  await original.close();
  const copy = await open(undefined, image);
  await migrate(liteAsDb(copy));
  return copy;
}

interface Column {
  column_name: string;
  identity_always: boolean;
}

async function copyTable(source: Lite, tx: Queryable, table: string): Promise<number> {
  const columns = (
    await tx.query<Column>(
      `SELECT column_name, identity_generation = 'ALWAYS' AS identity_always FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      [table],
    )
  ).rows;
  const list = columns.map((c) => `"${c.column_name}"`).join(', ');
  const overriding = columns.some((c) => c.identity_always) ? 'OVERRIDING SYSTEM VALUE' : '';
  // Rows travel as PostgreSQL's own JSON text, never parsed here: bigints, bytea and timestamps keep every digit.
  const { rows } = await source.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM (SELECT ${list} FROM "${table}") t`);
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const batch = `[${rows
      .slice(i, i + BATCH_ROWS)
      .map((row) => row.r)
      .join(',')}]`;
    await tx.query(
      `INSERT INTO "${table}" (${list}) ${overriding} SELECT ${list} FROM json_populate_recordset(NULL::"${table}", $1::json)`,
      [batch],
    );
  }
  const copied = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  if (copied.rows[0]!.n !== rows.length) {
    throw new CarryOverError(`table ${table}: ${rows.length} rows in the PGlite directory, ${copied.rows[0]!.n} after copying`);
  }
  return rows.length;
}

async function copyAll(source: Lite, target: Db): Promise<{ tables: number; rows: number } | 'not empty'> {
  const tables = (
    await source.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY 1`,
    )
  ).rows.map((t) => t.name);
  const sequences = (
    await source.query<{ name: string; last_value: string | null }>(
      `SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text FROM pg_sequences WHERE schemaname = 'public'`,
    )
  ).rows;
  return target.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CARRY_OVER_LOCK_KEY]);
    for (const table of tables) {
      if ((await tx.query(`SELECT 1 FROM "${table}" LIMIT 1`)).rows.length > 0) return 'not empty';
    }
    // Rows are copied as they are, table by table: foreign keys and triggers wait (the embedded server's
    // role is a superuser), and the per-table counts check the copy instead.
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query('SET LOCAL statement_timeout = 0');
    let rows = 0;
    for (const table of tables) rows += await copyTable(source, tx, table);
    for (const sequence of sequences) {
      if (sequence.last_value !== null)
        await tx.query('SELECT setval($1::regclass, $2::bigint, true)', [sequence.name, sequence.last_value]);
    }
    return { tables: tables.length, rows };
  });
}

/**
 * When `dir` holds a PGlite cluster (an older release's embedded database), copies every table and
 * sequence into `target` (migrated, and empty) in one transaction, checks each table's count, then
 * renames `dir` to `<dir>.carried-over-<time>` so it is copied only once. Undefined when there is none.
 */
export async function carryOverPglite(target: Db, dir: string, now = new Date()): Promise<CarryOverResult | undefined> {
  if (!existsSync(join(dir, 'PG_VERSION'))) return undefined;
  const source = await openMigratedCopy(dir);
  let copied: Awaited<ReturnType<typeof copyAll>>;
  try {
    copied = await copyAll(source, target);
  } catch (error) {
    if (error instanceof CarryOverError) throw error;
    throw new CarryOverError(`copying ${dir} failed and nothing was copied: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await source.close();
  }
  if (copied === 'not empty') {
    throw new CarryOverError(
      `${dir} holds an older release's journal, but the embedded PostgreSQL server already has data: move ${dir} away to start without it`,
    );
  }
  const keptAs = `${dir}.carried-over-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(dir, keptAs);
  return { ...copied, keptAs };
}
