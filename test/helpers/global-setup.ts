// Once per run on PGlite: a migrated database, saved to a file that each test file's database starts
// from. Starting an empty PGlite cluster and migrating it takes 2–4 s of CPU; loading the copy, under 1 s.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openPglite } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated PGlite snapshot's path, or '' on a real PostgreSQL. */
    pgliteSnapshot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgliteSnapshot', '');
    return () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'smriti-pglite-'));
  const db = await openPglite();
  try {
    await migrate(db);
    const path = join(dir, 'migrated.tar');
    writeFileSync(path, Buffer.from(await (await db.snapshot()).arrayBuffer()));
    project.provide('pgliteSnapshot', path);
  } finally {
    await db.close();
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
