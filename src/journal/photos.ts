// The photos table: a user's photos, always scoped by user id, and which entry refers to each.
import type { Queryable } from '../db/db.js';
import { isUuid } from '../uuid.js';
import type { ProcessedPhoto } from './photo-images.js';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const PHOTO_REFERENCE = new RegExp(`\\(/photos/(${UUID})[)?\\s]`, 'g');

/** The photo ids an entry's text refers to as `![caption](/photos/<id>)`, in order, each once. */
export function photoIdsIn(body: string): string[] {
  return [...new Set([...body.matchAll(PHOTO_REFERENCE)].map((m) => m[1]!.toLowerCase()))];
}

/** The card's picture: the thumbnail of the first photo in the text, if there is one. */
export function firstPhotoOf(body: string): string | undefined {
  const [first] = photoIdsIn(body);
  return first ? `/photos/${first}?size=thumb` : undefined;
}

/** Which of the photos `body` names are the user's own (the only ones the entry shows as pictures). */
export async function ownPhotoIds(db: Queryable, userId: string, body: string): Promise<Set<string>> {
  const ids = photoIdsIn(body);
  if (ids.length === 0) return new Set();
  const result = await db.query<{ id: string }>(`SELECT id FROM photos WHERE user_id = $1 AND id = ANY($2::uuid[])`, [userId, ids]);
  return new Set(result.rows.map((r) => r.id));
}

export interface NewPhoto {
  id: string;
  entryId: string | null;
  photo: ProcessedPhoto;
  /** What an import matched it by, so a second import finds it. */
  source?: string;
  at: Date;
  /** Ciphertext made in the browser (a sealed journal): stored as given, answered as opaque bytes. */
  sealed?: boolean;
}

export type InsertResult = 'stored' | 'over_quota' | 'exists';

/** Stores a photo if the account's photos with it stay within `quotaBytes`; unreferenced until an entry names it. */
export async function insertPhoto(db: Queryable, userId: string, p: NewPhoto, quotaBytes: number): Promise<InsertResult> {
  const bytes = p.photo.display.length + p.photo.thumb.length;
  const result = await db.query(
    `INSERT INTO photos (user_id, id, entry_id, content_type, width, height, display, thumb, thumb_type, bytes, source, created_at, unreferenced_since, sealed)
     SELECT $1, $2, $3::uuid, $4, $5, $6, $7, $8, $9, $10::bigint, $11, $12::timestamptz, $12::timestamptz, $14
     WHERE (SELECT coalesce(sum(bytes), 0) FROM photos WHERE user_id = $1) + $10::bigint <= $13::bigint
     ON CONFLICT (user_id, id) DO NOTHING RETURNING id`,
    [
      userId,
      p.id,
      p.entryId,
      p.photo.contentType,
      p.photo.width,
      p.photo.height,
      p.photo.display,
      p.photo.thumb,
      p.photo.thumbType,
      bytes,
      p.source ?? null,
      p.at,
      quotaBytes,
      p.sealed ?? false,
    ],
  );
  if (result.rowCount > 0) return 'stored';
  const found = await db.query(`SELECT 1 FROM photos WHERE user_id = $1 AND id = $2`, [userId, p.id]);
  return found.rowCount > 0 ? 'exists' : 'over_quota';
}

/** The bytes `GET /photos/:id` sends; undefined for an id that is not the user's photo. */
export async function findPhotoBytes(
  db: Queryable,
  userId: string,
  id: string,
  size: 'display' | 'thumb',
): Promise<{ contentType: string; bytes: Buffer; sealed: boolean } | undefined> {
  if (!isUuid(id.toLowerCase())) return undefined;
  const columns = size === 'thumb' ? 'thumb_type AS "contentType", thumb AS bytes' : 'content_type AS "contentType", display AS bytes';
  const result = await db.query<{ contentType: string; bytes: Buffer; sealed: boolean }>(
    `SELECT ${columns}, sealed FROM photos WHERE user_id = $1 AND id = $2`,
    [userId, id.toLowerCase()],
  );
  return result.rows[0];
}

/**
 * After an entry is saved: the photos its text names belong to it, and its photos no longer named
 * are unreferenced from `at` (the pruner deletes them a day later).
 */
export async function syncEntryPhotos(db: Queryable, userId: string, entryId: string, body: string, at: Date): Promise<void> {
  await linkEntryPhotos(db, userId, entryId, photoIdsIn(body), at);
}

/** The same for ids named outright: a sealed entry's text is unreadable here, so the browser names its photos. */
export async function linkEntryPhotos(db: Queryable, userId: string, entryId: string, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length > 0) {
    await db.query(
      `UPDATE photos SET entry_id = $3, unreferenced_since = NULL
       WHERE user_id = $1 AND id = ANY($2::uuid[]) AND (entry_id IS DISTINCT FROM $3 OR unreferenced_since IS NOT NULL)`,
      [userId, ids, entryId],
    );
  }
  await db.query(
    `UPDATE photos SET unreferenced_since = $4
     WHERE user_id = $1 AND entry_id = $2 AND unreferenced_since IS NULL AND NOT (id = ANY($3::uuid[]))`,
    [userId, entryId, ids, at],
  );
}

/** Whether `entryId` is a live entry of the user (an upload may name the entry it is for). */
export async function ownsLiveEntry(db: Queryable, userId: string, entryId: string): Promise<boolean> {
  if (!isUuid(entryId.toLowerCase())) return false;
  const result = await db.query(`SELECT 1 FROM entries WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL`, [
    entryId.toLowerCase(),
    userId,
  ]);
  return result.rowCount > 0;
}

export interface PhotoCard {
  id: string;
  entryId: string;
  entryTitle: string;
  entryDate: string;
  width: number;
  height: number;
}

const PHOTOS_PAGE = 120;

/** One page of the photos of the user's live entries, newest entry first (the Photos view). */
export async function pageOfPhotos(db: Queryable, userId: string, page: number): Promise<{ photos: PhotoCard[]; more: boolean }> {
  const result = await db.query<PhotoCard>(
    `SELECT p.id, p.entry_id AS "entryId", e.title AS "entryTitle", e.entry_date::text AS "entryDate", p.width, p.height
     FROM photos p JOIN entries e ON e.id = p.entry_id AND e.user_id = p.user_id
     WHERE p.user_id = $1 AND e.user_id = $1 AND e.deleted_at IS NULL AND p.unreferenced_since IS NULL
     ORDER BY e.entry_date DESC, e.created_at DESC, p.created_at, p.id LIMIT $2 OFFSET $3`,
    [userId, PHOTOS_PAGE + 1, (page - 1) * PHOTOS_PAGE],
  );
  return { photos: result.rows.slice(0, PHOTOS_PAGE), more: result.rows.length > PHOTOS_PAGE };
}

/**
 * The pruner's part: photos no entry has named for a day (every user's, so no user_id here). A
 * sealed journal's are kept: which photos its entries name is known only when the browser says so.
 */
export async function pruneUnreferencedPhotos(db: Queryable, before: Date): Promise<number> {
  const result = await db.query(
    `DELETE FROM photos WHERE unreferenced_since < $1 AND user_id IN (SELECT id FROM users WHERE journal_state = 'open')`,
    [before],
  );
  return result.rowCount;
}

/** The user's photos that an entry names (live or in the trash), for an export: ids and types only. */
export async function exportablePhotos(db: Queryable, userId: string): Promise<{ id: string; contentType: string }[]> {
  const result = await db.query<{ id: string; contentType: string }>(
    `SELECT id, content_type AS "contentType" FROM photos WHERE user_id = $1 AND entry_id IS NOT NULL AND unreferenced_since IS NULL ORDER BY created_at, id`,
    [userId],
  );
  return result.rows;
}

/** After an import has written entries and photos: each photo belongs to the entry whose text names it. */
export async function attachImportedPhotos(db: Queryable, userId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE photos p SET entry_id = e.id, unreferenced_since = NULL FROM entries e
     WHERE p.user_id = $1 AND e.user_id = $1 AND p.id = ANY($2::uuid[]) AND p.entry_id IS NULL
       AND strpos(e.body, '/photos/' || p.id::text) > 0`,
    [userId, ids],
  );
}

/** What the account's photos take up now, for the quota. */
export async function photoBytesUsed(db: Queryable, userId: string): Promise<number> {
  const result = await db.query<{ used: string }>(`SELECT coalesce(sum(bytes), 0) AS used FROM photos WHERE user_id = $1`, [userId]);
  return Number(result.rows[0]!.used);
}
