// Once per run: the test server (TEST_DATABASE_URL, else a throwaway embedded PostgreSQL) and on it a
// migrated template database, which each test file's database is cloned from in a few milliseconds.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../../src/db/db.js';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server whose databases and schemas the tests may create and drop (connected to its admin database). */
    testServerUrl: string;
    /** The migrated database on it that each test file's database is a copy of. */
    templateDatabase: string;
  }
}

// A throwaway cluster: nothing in it must survive a crash, so it skips the disk flushes.
const THROWAWAY_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' };

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: EmbeddedServer | undefined;
  let dir: string | undefined;
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    dir = mkdtempSync(join(tmpdir(), 'smriti-test-'));
    // Started as root, the server runs as the postgres user, who must reach the cluster inside.
    chmodSync(dir, 0o755);
    server = await startEmbeddedPostgres({ dir: join(dir, 'postgres'), tcp: true, settings: THROWAWAY_SETTINGS });
    serverUrl = databaseUrl(server.url, 'postgres');
  }
  const template = `smriti_template_${randomBytes(5).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE ${template}`);
  const db = openPostgres({ url: databaseUrl(serverUrl, template), max: 1 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  project.provide('testServerUrl', serverUrl);
  project.provide('templateDatabase', template);
  return async () => {
    if (server) {
      await server.stop();
      rmSync(dir!, { recursive: true, force: true });
      return;
    }
    // The template, and any copy a file left behind when it failed before closing its database.
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      const left = await client.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE datname LIKE $1', [`${template}%`]);
      for (const { name } of left.rows.reverse()) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
}
