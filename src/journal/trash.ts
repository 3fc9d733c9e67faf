// The trash: a deleted entry waits here for TRASH_DAYS, can come back, or be deleted for good.
import type { Queryable } from '../db/db.js';
import { ENTRY_COLUMNS, type Entry, isEntryId } from './entries.js';

export const TRASH_DAYS = 30;
export const TRASH_KEEP_MS = TRASH_DAYS * 24 * 60 * 60 * 1000;
const TRASH_PAGE_SIZE = 100;

/** Moves a live entry to the trash; false when the user has no such live entry. */
export async function trashEntry(db: Queryable, userId: string, id: string, at: Date): Promise<boolean> {
  if (!isEntryId(id)) return false;
  const result = await db.query(`UPDATE entries SET deleted_at = $3 WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL`, [
    id,
    userId,
    at,
  ]);
  return result.rowCount > 0;
}

/** Brings a trashed entry back, as it was; false when it is not in the user's trash. */
export async function restoreEntry(db: Queryable, userId: string, id: string): Promise<Entry | undefined> {
  if (!isEntryId(id)) return undefined;
  const result = await db.query<Entry>(
    `UPDATE entries SET deleted_at = NULL WHERE id = $1 AND user_id = $2 AND deleted_at IS NOT NULL RETURNING ${ENTRY_COLUMNS}`,
    [id, userId],
  );
  return result.rows[0];
}

/** Deletes a trashed entry for good; a live entry is never deleted this way. */
export async function purgeEntry(db: Queryable, userId: string, id: string): Promise<boolean> {
  if (!isEntryId(id)) return false;
  const result = await db.query(`DELETE FROM entries WHERE id = $1 AND user_id = $2 AND deleted_at IS NOT NULL`, [id, userId]);
  return result.rowCount > 0;
}

export async function findTrashed(db: Queryable, userId: string, id: string): Promise<Entry | undefined> {
  if (!isEntryId(id)) return undefined;
  const result = await db.query<Entry>(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id = $1 AND user_id = $2 AND deleted_at IS NOT NULL`, [
    id,
    userId,
  ]);
  return result.rows[0];
}

/** The user's trash, most recently deleted first (the trash holds at most a month of deletions). */
export async function listTrash(db: Queryable, userId: string): Promise<{ entries: Entry[]; total: number }> {
  const [rows, count] = await Promise.all([
    db.query<Entry>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE user_id = $1 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC LIMIT $2`,
      [userId, TRASH_PAGE_SIZE],
    ),
    db.query<{ total: number }>(`SELECT count(*)::int AS total FROM entries WHERE user_id = $1 AND deleted_at IS NOT NULL`, [userId]),
  ]);
  return { entries: rows.rows, total: count.rows[0]!.total };
}

/** When a trashed entry goes for good. */
export function purgeDate(entry: Entry): Date {
  return new Date((entry.deletedAt ?? new Date()).getTime() + TRASH_KEEP_MS);
}

/** The pruner's part: entries trashed before `before` (every user's, so no user_id here). */
export async function pruneTrash(db: Queryable, before: Date): Promise<number> {
  return (await db.query(`DELETE FROM entries WHERE deleted_at IS NOT NULL AND deleted_at < $1`, [before])).rowCount;
}
