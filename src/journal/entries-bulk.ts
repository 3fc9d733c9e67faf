// Bulk reads and writes of one user's entries: keyset pages for export, batched inserts for import.
import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { nameBasedUuid } from '../uuid.js';
import { ENTRY_COLUMNS, type Entry } from './entries.js';

/** Where the next page starts: the last row's day, created_at as PostgreSQL text (microseconds kept) and id. */
export interface PageCursor {
  entryDate?: string;
  createdAt: string;
  id: string;
}

/** Newest written first, or newest by the entry's own day (then written): what a reader of the Markdown expects. */
export type PageOrder = 'written' | 'day';

const PAGE_COLUMNS = `${ENTRY_COLUMNS}, created_at::text AS "cursorAt"`;
// A first page and a page after a cursor are separate statements: the cursor's range condition
// stays a plain index range, and the first page's text is never the later pages' ($2 created_at,
// $3 id, $5 day of the cursor; $4 the limit).
const PAGE_ORDER: Record<PageOrder, { by: string; after: string }> = {
  written: { by: 'created_at DESC, id DESC', after: '(created_at, id) < ($2::timestamptz, $3::uuid)' },
  day: { by: 'entry_date DESC, created_at DESC, id DESC', after: '(entry_date, created_at, id) < ($5::date, $2::timestamptz, $3::uuid)' },
};

/** One page of the user's entries (those in the trash too), newest first, after `cursor` (from the start when undefined). */
export async function entriesPage(
  db: Queryable,
  userId: string,
  cursor: PageCursor | undefined,
  limit: number,
  order: PageOrder = 'written',
): Promise<{ entries: Entry[]; next: PageCursor | undefined }> {
  const { by, after } = PAGE_ORDER[order];
  const result = cursor
    ? await db.query<Entry & { cursorAt: string }>(
        `SELECT ${PAGE_COLUMNS} FROM entries WHERE user_id = $1 AND ${after} ORDER BY ${by} LIMIT $4`,
        [userId, cursor.createdAt, cursor.id, limit, ...(order === 'day' ? [cursor.entryDate] : [])],
      )
    : await db.query<Entry & { cursorAt: string }>(`SELECT ${PAGE_COLUMNS} FROM entries WHERE user_id = $1 ORDER BY ${by} LIMIT $2`, [
        userId,
        limit,
      ]);
  const last = result.rows.at(-1);
  const entries = result.rows.map(({ cursorAt: _, ...entry }) => entry);
  const next = last && result.rows.length === limit ? { entryDate: last.entryDate, createdAt: last.cursorAt, id: last.id } : undefined;
  return { entries, next };
}

export interface ImportedEntry {
  /** The id in the file (lower case); undefined for an entry that came without one. */
  id: string | undefined;
  title: string;
  body: string;
  entryDate: string;
  tags: string[];
  /** Set for an entry that was in the trash when exported: it comes back into the trash. */
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Day One's `starred`, or an export's; not starred when the file does not say. */
  starred?: boolean;
}

// Any fixed UUID works as the namespace; changing it would change every derived id.
const IMPORT_NAMESPACE = '5b0c3f0e-2a8d-4d7e-9a3c-6e1f4b2d8c17';

/**
 * The id an imported entry gets when its id is not already one of this account's entries: a UUIDv5
 * of the account and the exported id, whether or not any other account uses that id, so nothing
 * about the answer depends on other accounts, and importing the same file again finds it.
 */
export function importedIdFor(userId: string, fileId: string): string {
  return nameBasedUuid(IMPORT_NAMESPACE, `${userId}/${fileId}`);
}

/** The derived id of earlier releases, still recognised on re-import. */
function legacyImportedIdFor(userId: string, fileId: string): string {
  return uuidFromText(`smriti import\0${userId}\0${fileId}`);
}

/** A uuid-shaped digest of `text` (RFC 9562 version 8): the same text always gives the same id. */
export function uuidFromText(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const BATCH = 500;

// A derived id cannot be taken by another account (only this code makes them, from this account's
// id), so a conflict here means the entry is already in; it is counted as skipped. Tags travel as
// one JSON array per entry: unnest would flatten a text[][] into single words.
const INSERT_BATCH = `INSERT INTO entries (id, user_id, title, body, created_at, updated_at, entry_date, tags, deleted_at, starred)
  SELECT i.id, $1, i.title, i.body, i.created_at, i.updated_at, i.entry_date,
         array(SELECT jsonb_array_elements_text(i.tags)), i.deleted_at, i.starred
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::date[], $8::jsonb[], $9::timestamptz[], $10::boolean[])
      AS i(id, title, body, created_at, updated_at, entry_date, tags, deleted_at, starred)
  ON CONFLICT (id) DO NOTHING
  RETURNING id`;

async function insertBatches(tx: Queryable, userId: string, entries: Array<ImportedEntry & { newId: string }>): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < entries.length; start += BATCH) {
    const batch = entries.slice(start, start + BATCH);
    const result = await tx.query<{ id: string }>(INSERT_BATCH, [
      userId,
      batch.map((e) => e.newId),
      batch.map((e) => e.title),
      batch.map((e) => e.body),
      batch.map((e) => e.createdAt),
      batch.map((e) => e.updatedAt),
      batch.map((e) => e.entryDate),
      batch.map((e) => JSON.stringify(e.tags)),
      batch.map((e) => e.deletedAt),
      batch.map((e) => e.starred ?? false),
    ]);
    inserted += result.rowCount;
  }
  return inserted;
}

/**
 * Adds the entries the account does not have yet, in the caller's transaction. An entry whose id
 * (or derived id) is already one of this account's is skipped; any other id is replaced by its
 * derived id. Only this account's rows are read, so the outcome never depends on other accounts.
 */
export async function insertImportedEntries(tx: Queryable, userId: string, entries: ImportedEntry[]) {
  // Two imports of one file at once must not both find its entries missing.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smriti:import:${userId}`]);
  const candidates = entries.flatMap((e) => (e.id ? [e.id, importedIdFor(userId, e.id), legacyImportedIdFor(userId, e.id)] : []));
  const owned = await tx.query<{ id: string }>(`SELECT id FROM entries WHERE user_id = $1 AND id = ANY($2::uuid[])`, [userId, candidates]);
  const have = new Set(owned.rows.map((r) => r.id));
  const isOwned = (id: string) => have.has(id) || have.has(importedIdFor(userId, id)) || have.has(legacyImportedIdFor(userId, id));
  const fresh = entries
    .filter((e) => !e.id || !isOwned(e.id))
    .map((e) => ({ ...e, newId: e.id ? importedIdFor(userId, e.id) : randomUUID() }));
  const added = await insertBatches(tx, userId, fresh);
  return { added, skipped: entries.length - added };
}
