// The entries JSON API: the signed-in user's entries, their trash, and search (GET ?q=).
import { type Response, Router } from 'express';
import { requireApiAuth, signInState, writerTimeZone } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { localDay } from '../time-zone.js';
import { checkEntry, createEntry, type Entry, type EntryInput, findEntry, listEntries, PAGE_SIZE, toJson, updateEntry } from './entries.js';
import { linkEntryPhotos } from './photos.js';
import { CONFLICT, listFilter, NOT_FOUND, pageNumber, versionOrThrow } from './route-helpers.js';
import { createSealed, journalState, type SealedWrite, sealedWriteOf, writeSealed } from './sealed.js';
import { isSearch, sendSearchResults } from './search-routes.js';
import { purgeEntry, restoreEntry, trashEntry } from './trash.js';
import { etagOf, expectedVersion } from './versions.js';

/** Scripts can send back the ETag as If-Match (and as If-None-Match for a 304 on GET). */
function sendEntry(res: Response, entry: Entry, status = 200) {
  res.status(status).set('ETag', etagOf(entry.version)).json(toJson(entry));
}

function entryFromJson(body: unknown): EntryInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(400, 'body_invalid', 'Send a JSON object with "title" and "body".');
  }
  const { title, body: text, entryDate, tags, starred } = body as Record<string, unknown>;
  const checked = checkEntry({ title: title ?? '', body: text ?? '', entryDate, tags, starred });
  if (checked.kind === 'invalid') throw new AppError(400, 'entry_invalid', Object.values(checked.errors).join(' '), checked.errors);
  return checked.entry;
}

// A sealed journal is read whole by the browser (to decrypt and index it): a few large pages, not hundreds of small ones.
const MAX_PAGE_SIZE = 500;

function pageSizeParam(value: unknown): number {
  if (value === undefined || value === '') return PAGE_SIZE;
  if (typeof value !== 'string' || !/^[1-9]\d{0,2}$/.test(value) || Number(value) > MAX_PAGE_SIZE) {
    throw new AppError(400, 'page_size_invalid', `The page size is a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return Number(value);
}

export function entriesApiRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const now = () => new Date(ctx.now());

  router.use('/api/entries', requireApiAuth(ctx));

  async function createSealedFromJson(res: Response, userId: string, write: SealedWrite) {
    const today = localDay(now(), await writerTimeZone(ctx, userId));
    const entry = await createSealed(db, userId, write, now(), today);
    if (!entry) throw new AppError(409, 'conflict', 'An entry with this id exists already; nothing was overwritten.');
    if (write.photos) await linkEntryPhotos(db, userId, entry.id, write.photos, now());
    sendEntry(res.location(`/api/entries/${entry.id}`), entry, 201);
  }

  async function updateSealedFromJson(res: Response, userId: string, write: SealedWrite) {
    const entry = await writeSealed(db, userId, write, now());
    if (entry && write.photos) await linkEntryPhotos(db, userId, entry.id, write.photos, now());
    if (entry) return sendEntry(res, entry);
    const current = write.version === undefined ? undefined : await findEntry(db, userId, write.id);
    if (!current) throw new AppError(404, 'not_found', NOT_FOUND);
    res.status(409).json({ error: 'conflict', message: CONFLICT, current: toJson(current) });
  }

  router.get('/api/entries', async (req, res) => {
    const page = pageNumber(req);
    if (isSearch(req)) return sendSearchResults(db, req, res, page);
    const filter = listFilter(req);
    const pageSize = pageSizeParam(req.query.pageSize);
    const { entries, total } = await listEntries(db, signInState(res).userId, page, filter, pageSize);
    res.json({ entries: entries.map(toJson), page, pageSize, total });
  });

  router.post('/api/entries', async (req, res) => {
    const { userId } = signInState(res);
    const sealed = sealedWriteOf(req.body, await journalState(db, userId));
    if (sealed) return createSealedFromJson(res, userId, sealed);
    const input = entryFromJson(req.body);
    const today = input.entryDate ?? localDay(now(), await writerTimeZone(ctx, userId));
    const entry = await createEntry(db, userId, input, now(), today);
    sendEntry(res.location(`/api/entries/${entry.id}`), entry, 201);
  });

  router.get('/api/entries/:id', async (req, res) => {
    const entry = await findEntry(db, signInState(res).userId, req.params.id);
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    sendEntry(res, entry);
  });

  router.put('/api/entries/:id', async (req, res) => {
    const { userId } = signInState(res);
    const sealed = sealedWriteOf(req.body, await journalState(db, userId), req.params.id);
    const version = versionOrThrow(expectedVersion(req.get('If-Match'), (req.body as Record<string, unknown> | undefined)?.version));
    if (sealed) return updateSealedFromJson(res, userId, { ...sealed, version });
    const input = entryFromJson(req.body);
    const result = await updateEntry(db, userId, req.params.id, input, now(), version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    if (result.kind === 'conflict') {
      return res.status(409).json({ error: 'conflict', message: CONFLICT, current: toJson(result.current) });
    }
    sendEntry(res, result.entry);
  });

  // Deleting moves to the trash (DESIGN §15); DELETE /api/entries/:id/trash deletes for good from there.
  router.delete('/api/entries/:id', async (req, res) => {
    if (!(await trashEntry(db, signInState(res).userId, req.params.id, now()))) throw new AppError(404, 'not_found', NOT_FOUND);
    res.status(204).end();
  });

  router.post('/api/entries/:id/restore', async (req, res) => {
    const entry = await restoreEntry(db, signInState(res).userId, req.params.id);
    if (!entry) throw new AppError(404, 'not_found', 'There is no such entry in your trash.');
    sendEntry(res, entry);
  });

  router.delete('/api/entries/:id/trash', async (req, res) => {
    if (!(await purgeEntry(db, signInState(res).userId, req.params.id))) {
      throw new AppError(404, 'not_found', 'There is no such entry in your trash.');
    }
    res.status(204).end();
  });

  return router;
}
