// The bench's throwaway database: its own PostgreSQL database (created, migrated, dropped), on DATABASE_URL's server or an embedded one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Db, openPostgres } from '../src/db/db.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import type { Env } from './config.js';

export interface BenchDatabase {
  readonly kind: 'postgres' | 'embedded';
  /** For the output: where the data lives, without credentials. */
  readonly description: string;
  /** The PostgreSQL database's name. */
  readonly name?: string;
  /** What the bench server's environment needs to open the same database. */
  readonly serverEnv: Env;
  /** A connection pool of `max`. */
  open(max?: number): Promise<Db>;
  /** Runs `work` on a fresh connection and closes it. */
  use<T>(work: (db: Db) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withUse(base: Omit<BenchDatabase, 'use'>): BenchDatabase {
  return {
    ...base,
    async use(work) {
      const db = await base.open();
      try {
        return await work(db);
      } finally {
        await db.close();
      }
    },
  };
}

/** A database of its own (smriti_<prefix>_…) on the server of `adminUrl`, and how to drop it. */
export async function throwawayDatabase(adminUrl: string, prefix: string): Promise<{ name: string; url: URL; drop(): Promise<void> }> {
  // The random part keeps two benches on one server (other hosts, same pid) apart.
  const name = `smriti_${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url, drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function createPostgres(adminUrl: string): Promise<BenchDatabase> {
  const { name, url, drop } = await throwawayDatabase(adminUrl, 'bench');
  return withUse({
    kind: 'postgres',
    name,
    description: `PostgreSQL at ${url.hostname}:${url.port || 5432}, throwaway database ${name}`,
    serverEnv: { DATABASE_URL: url.toString() },
    // The bench's own loads (a million rows, the search index) are jobs, not requests: no timeout.
    open: async (max = 10) => openPostgres({ url: url.toString(), max, statementTimeoutMs: 0 }),
    drop,
  });
}

/** With DATABASE_URL unset, as `npm start` would: an embedded PostgreSQL server of its own, in a temporary directory. */
async function createEmbedded(): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'smriti-bench-'));
  const server = await startEmbeddedPostgres({ dir: join(dir, 'postgres') });
  const admin = new URL(server.url);
  admin.pathname = '/postgres';
  const database = await createPostgres(admin.toString());
  return {
    ...database,
    kind: 'embedded',
    description: `${server.description}, throwaway database ${database.name} (DATABASE_URL is unset)`,
    async drop() {
      await database.drop();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, migrated database: on the server of `databaseUrl` when set, else on an embedded server. */
export async function createBenchDatabase(databaseUrl: string | undefined): Promise<BenchDatabase> {
  const database = databaseUrl ? await createPostgres(databaseUrl) : await createEmbedded();
  try {
    await database.use((db) => migrate(db));
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}
