// Bulk reads and writes of one user's entries: keyset pages for export, batched inserts for import.
import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { ENTRY_COLUMNS, type Entry } from './entries.js';

/** Where the next page starts: the last row's created_at as PostgreSQL text (microseconds kept) and id. */
export interface PageCursor {
  createdAt: string;
  id: string;
}

const PAGE_COLUMNS = `${ENTRY_COLUMNS}, created_at::text AS "cursorAt"`;

/** One page of the user's entries (those in the trash too), newest first, after `cursor` (from the start when undefined). */
export async function entriesPage(
  db: Queryable,
  userId: string,
  cursor: PageCursor | undefined,
  limit: number,
): Promise<{ entries: Entry[]; next: PageCursor | undefined }> {
  const result = cursor
    ? await db.query<Entry & { cursorAt: string }>(
        `SELECT ${PAGE_COLUMNS} FROM entries
          WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
          ORDER BY created_at DESC, id DESC LIMIT $4`,
        [userId, cursor.createdAt, cursor.id, limit],
      )
    : await db.query<Entry & { cursorAt: string }>(
        `SELECT ${PAGE_COLUMNS} FROM entries WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
        [userId, limit],
      );
  const last = result.rows.at(-1);
  const entries = result.rows.map(({ cursorAt: _, ...entry }) => entry);
  return { entries, next: last && result.rows.length === limit ? { createdAt: last.cursorAt, id: last.id } : undefined };
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
}

/**
 * The id an imported entry gets when its own id belongs to another user: derived from both ids,
 * so importing the same file again finds it and adds nothing (shaped as an RFC 9562 version-8 uuid).
 */
export function importedIdFor(userId: string, fileId: string): string {
  return uuidFromText(`smriti import\0${userId}\0${fileId}`);
}

/** A uuid-shaped digest of `text` (RFC 9562 version 8): the same text always gives the same id. */
export function uuidFromText(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const BATCH = 500;

// Tags travel as one JSON array per entry: unnest would flatten a text[][] into single words.
const INSERT_BATCH = `INSERT INTO entries (id, user_id, title, body, created_at, updated_at, entry_date, tags, deleted_at)
  SELECT i.id, $1, i.title, i.body, i.created_at, i.updated_at, i.entry_date,
         array(SELECT jsonb_array_elements_text(i.tags)), i.deleted_at
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::date[], $8::jsonb[], $9::timestamptz[])
      AS i(id, title, body, created_at, updated_at, entry_date, tags, deleted_at)
  ON CONFLICT (id) DO NOTHING
  RETURNING id`;

/** Inserts each entry under `idOf(entry)`; returns the entries whose id was already taken. */
async function insertBatches(tx: Queryable, userId: string, entries: ImportedEntry[], idOf: (e: ImportedEntry) => string) {
  const refused: ImportedEntry[] = [];
  for (let start = 0; start < entries.length; start += BATCH) {
    const batch = entries.slice(start, start + BATCH);
    const ids = batch.map(idOf);
    const result = await tx.query<{ id: string }>(INSERT_BATCH, [
      userId,
      ids,
      batch.map((e) => e.title),
      batch.map((e) => e.body),
      batch.map((e) => e.createdAt),
      batch.map((e) => e.updatedAt),
      batch.map((e) => e.entryDate),
      batch.map((e) => JSON.stringify(e.tags)),
      batch.map((e) => e.deletedAt),
    ]);
    const inserted = new Set(result.rows.map((r) => r.id));
    batch.forEach((entry, i) => {
      if (!inserted.has(ids[i]!)) refused.push(entry);
    });
  }
  return refused;
}

/**
 * Adds the entries the user does not have yet, in the caller's transaction: an id the user already
 * has (or its derived id) is skipped; an id another user has gets the derived id instead.
 */
export async function insertImportedEntries(tx: Queryable, userId: string, entries: ImportedEntry[]) {
  // Two imports of one file at once must not both find its entries missing.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smriti:import:${userId}`]);
  const candidates = entries.flatMap((e) => (e.id ? [e.id, importedIdFor(userId, e.id)] : []));
  const owned = await tx.query<{ id: string }>(`SELECT id FROM entries WHERE user_id = $1 AND id = ANY($2::uuid[])`, [userId, candidates]);
  const have = new Set(owned.rows.map((r) => r.id));
  const fresh = entries.filter((e) => !e.id || (!have.has(e.id) && !have.has(importedIdFor(userId, e.id))));
  const ownIds = new Map(fresh.map((e) => [e, e.id ?? randomUUID()]));
  const takenElsewhere = await insertBatches(tx, userId, fresh, (e) => ownIds.get(e)!);
  const lost = await insertBatches(tx, userId, takenElsewhere, (e) => importedIdFor(userId, ownIds.get(e)!));
  return { added: fresh.length - lost.length, skipped: entries.length - fresh.length + lost.length };
}
