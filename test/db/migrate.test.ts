import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../../src/db/db.js';
import { listMigrations, MigrationError, migrate } from '../../src/db/migrate.js';
import { createTestDb, testServerUrl } from '../helpers/db.js';

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('migrations', () => {
  it('applies every file once, in order, and records each', async () => {
    db = await createTestDb({ migrate: false });
    const applied = await migrate(db);
    expect(applied).toEqual(listMigrations());
    expect(applied[0]).toBe('001_users.sql');
    const recorded = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(recorded.rows.map((r) => r.name)).toEqual(applied);
  });

  it('lets several processes start on a new database at once: each file is applied exactly once', async () => {
    db = await createTestDb({ migrate: false });
    const schema = /schema (\w+)/.exec(db.description)?.[1];
    // Separate pools, as separate processes would have.
    const others = [0, 1, 2].map(() => openPostgres({ url: testServerUrl(), schema, max: 2 }));
    try {
      const runs = await Promise.all([db, ...others].map((target) => migrate(target)));
      expect(runs.flat().sort()).toEqual(listMigrations());
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('is idempotent on restart: a second run applies nothing and keeps data', async () => {
    db = await createTestDb({ migrate: false });
    await migrate(db);
    await db.query(`INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x')`);
    expect(await migrate(db)).toEqual([]);
    const users = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(users.rows[0]!.n).toBe(1);
  });

  it('creates refresh_tokens with exactly the columns of the design', async () => {
    db = await createTestDb();
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'refresh_tokens' AND table_schema = current_schema() ORDER BY ordinal_position`,
    );
    expect(columns.rows.map((c) => c.column_name)).toEqual([
      'id',
      'user_id',
      'token_hash',
      'jti',
      'family_id',
      'issued_at',
      'expires_at',
      'is_valid',
      'used_at',
      'replaced_by',
      'revoked_at',
      'revoked_reason',
      'user_agent',
      'ip',
    ]);
  });

  it('rolls back a failing migration and names its file', async () => {
    db = await createTestDb({ migrate: false });
    const dir = mkdtempSync(join(tmpdir(), 'smriti-migrations-'));
    writeFileSync(join(dir, '001_good.sql'), 'CREATE TABLE good_table (id int);');
    writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;');
    const failure = await migrate(db, dir).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toContain('002_bad.sql');
    const tables = await db.query<{ name: string | null }>(`SELECT to_regclass('half_done')::text AS name`);
    expect(tables.rows[0]!.name).toBeNull();
    const recorded = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
    expect(recorded.rows.map((r) => r.name)).toEqual(['001_good.sql']);
  });
});
