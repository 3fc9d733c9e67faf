// The journal with its photos as one zip: the JSON (or Markdown) export, its photo references
// rewritten to relative paths (photos/<id>.jpg), and a photos/ folder with each photo's bytes.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { EXTENSIONS } from '../journal/photo-images.js';
import { exportablePhotos } from '../journal/photos.js';
import { type ExportKind, exportFileName, jsonExport, markdownExport, openEntryPages } from './export.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PHOTO_URL = new RegExp(`\\]\\(/photos/(${UUID})(?:\\?size=thumb)?\\)`, 'g');

/** GET /account/export?format=zip (and &journal=markdown): the download, behind the same step-up as every export. */
export async function sendZipExport(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const journal = req.query.journal;
  if (journal !== undefined && journal !== 'json' && journal !== 'markdown')
    throw new AppError(400, 'format_invalid', 'The journal inside the zip must be json or markdown.');
  const kind: ExportKind = journal === 'markdown' ? 'markdown' : 'json';
  const { userId } = signInState(res);
  const at = new Date(ctx.now());
  const timeZone = res.locals.timeZone ?? 'UTC';
  const journalFile = exportFileName(kind, at, timeZone);
  const stream = await zipExport(ctx.db, userId, kind, journalFile, at, timeZone);
  res.set({
    'Content-Type': 'application/zip',
    'Content-Disposition': `attachment; filename="${journalFile.replace(/\.(json|md)$/, '.zip')}"`,
  });
  try {
    await pipeline(stream, res);
  } catch (error) {
    // The headers are gone: the download is cut off rather than ended as if it were whole.
    if (!res.writableFinished && !req.destroyed) ctx.logger.error({ err: error, userId }, 'zip export failed midway');
  }
}

/** A reference to one of the photos in the zip, as a relative path beside the journal file. */
export function photoPath(id: string, contentType: string): string {
  return `photos/${id}.${EXTENSIONS[contentType] ?? 'jpg'}`;
}

/**
 * Streams the zip: the journal file compressed, each photo stored as it is (already compressed),
 * read one at a time and written only as fast as the reader takes it.
 */
export async function zipExport(
  db: Db,
  userId: string,
  kind: ExportKind,
  journalFileName: string,
  at: Date,
  timeZone: string,
): Promise<NodeJS.ReadableStream> {
  const [pages, photos] = await Promise.all([openEntryPages(db, userId), exportablePhotos(db, userId)]);
  const types = new Map(photos.map((p) => [p.id, p.contentType]));
  const out = new PassThrough();
  const zip = new Zip((error, chunk, final) => {
    if (error) return out.destroy(error);
    out.write(chunk);
    if (final) out.end();
  });
  const relative = (text: string) =>
    text.replace(PHOTO_URL, (whole, id: string) => (types.has(id) ? `](${photoPath(id, types.get(id)!)})` : whole));
  const write = async () => {
    const journal = new ZipDeflate(journalFileName, { level: 6 });
    zip.add(journal);
    const text = kind === 'json' ? jsonExport(pages, at) : markdownExport(pages, at, timeZone);
    for await (const chunk of text) {
      journal.push(Buffer.from(relative(chunk)));
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    journal.push(new Uint8Array(0), true);
    for (const photo of photos) {
      const row = await db.query<{ display: Buffer }>(`SELECT display FROM photos WHERE user_id = $1 AND id = $2`, [userId, photo.id]);
      if (!row.rows[0]) continue; // deleted since the list was read
      const file = new ZipPassThrough(photoPath(photo.id, photo.contentType));
      zip.add(file);
      file.push(row.rows[0].display, true);
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    zip.end();
  };
  write().catch((error: unknown) => out.destroy(error as Error));
  return out;
}
