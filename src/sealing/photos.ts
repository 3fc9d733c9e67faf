// A journal's existing photos on the way between open and sealed (DESIGN §16, §17): which are still
// to re-write, and each one replaced in place (same id, so the entries' references stay) by the
// browser's sealed copy, or while unsealing by the server's own re-encoding of the opened photo.
import type { Queryable } from '../db/db.js';
import type { ProcessedPhoto } from '../journal/photo-images.js';
import type { JournalState } from '../journal/sealed.js';

/** Photos still in the other form: plaintext while sealing, sealed while unsealing. */
export async function remainingPhotos(db: Queryable, userId: string, state: JournalState): Promise<number> {
  if (state === 'open') return 0;
  const result = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM photos WHERE user_id = $1 AND sealed = $2`, [
    userId,
    state === 'unsealing',
  ]);
  return result.rows[0]!.count;
}

export async function pendingPhotos(db: Queryable, userId: string, state: JournalState, limit: number): Promise<{ id: string }[]> {
  if (state === 'open') return [];
  const result = await db.query<{ id: string }>(
    `SELECT id FROM photos WHERE user_id = $1 AND sealed = $2 ORDER BY created_at, id LIMIT $3`,
    [userId, state === 'unsealing', limit],
  );
  return result.rows;
}

export type Replaced = 'replaced' | 'already' | 'not_found' | 'over_quota';

/**
 * Writes the photo's other form over its bytes, if it is still in the first one and the account's
 * photos with it stay within the quota. The old bytes are gone from the row (copies in backups and
 * in the database's free space are beyond reach, as for entries).
 */
export async function replacePhoto(
  db: Queryable,
  userId: string,
  id: string,
  photo: ProcessedPhoto,
  sealed: boolean,
  quotaBytes: number,
): Promise<Replaced> {
  const bytes = photo.display.length + photo.thumb.length;
  const result = await db.query(
    `UPDATE photos SET display = $3, thumb = $4, content_type = $5, thumb_type = $6, width = $7, height = $8, bytes = $9::bigint, sealed = $10
     WHERE user_id = $1 AND id = $2 AND sealed = NOT $10
       AND (SELECT coalesce(sum(bytes), 0) FROM photos WHERE user_id = $1 AND id <> $2) + $9::bigint <= $11::bigint
     RETURNING id`,
    [userId, id, photo.display, photo.thumb, photo.contentType, photo.thumbType, photo.width, photo.height, bytes, sealed, quotaBytes],
  );
  if (result.rowCount > 0) return 'replaced';
  const found = await db.query<{ sealed: boolean }>('SELECT sealed FROM photos WHERE user_id = $1 AND id = $2', [userId, id]);
  if (!found.rows[0]) return 'not_found';
  return found.rows[0].sealed === sealed ? 'already' : 'over_quota';
}
