// Journal pages (plain forms that work without JavaScript) and the entries JSON API.
import { type Request, type Response, Router } from 'express';
import { ACCESS_COOKIE, REFRESH_COOKIE, readCookie } from '../auth/cookies.js';
import { requireApiAuth, requirePageAuth, signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import {
  BODY_MAX_CHARS,
  checkEntry,
  createEntry,
  deleteEntry,
  type Entry,
  type EntryInput,
  findEntry,
  listEntries,
  PAGE_SIZE,
  TITLE_MAX_CHARS,
  toJson,
  type UpdateResult,
  updateEntry,
} from './entries.js';
import { isSearch, renderSearchPage, sendSearchResults } from './search-routes.js';
import { type ExpectedVersion, etagOf, expectedVersion } from './versions.js';

const NOT_FOUND = 'There is no such entry in your journal.';
const CONFLICT = 'This entry was changed in another tab or device since you opened it; nothing was overwritten.';

function pageNumber(req: Request): number {
  const raw = req.query.page;
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,5}$/.test(raw))
    throw new AppError(400, 'page_invalid', 'The page number must be a whole number from 1.');
  return Number(raw);
}

/** The version a save was made from, or the 400/412 that refuses it before anything is written. */
function versionOrThrow(expected: ExpectedVersion): number | undefined {
  if (expected.kind === 'invalid') throw new AppError(400, 'version_invalid', expected.message, { version: expected.message });
  if (expected.kind === 'never') throw new AppError(412, 'precondition_failed', expected.message);
  return expected.kind === 'version' ? expected.version : undefined;
}

/** Scripts can send back the ETag as If-Match (and as If-None-Match for a 304 on GET). */
function sendEntry(res: Response, entry: Entry, status = 200) {
  res.status(status).set('ETag', etagOf(entry.version)).json(toJson(entry));
}

function entryFromJson(body: unknown): EntryInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(400, 'body_invalid', 'Send a JSON object with "title" and "body".');
  }
  const { title, body: text } = body as Record<string, unknown>;
  const checked = checkEntry({ title: title ?? '', body: text ?? '' });
  if (checked.kind === 'invalid') throw new AppError(400, 'entry_invalid', Object.values(checked.errors).join(' '), checked.errors);
  return checked.entry;
}

export function journalRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const now = () => new Date(ctx.now());

  router.get('/', (req, res) => {
    // Any token cookie may still be renewable; /journal refreshes in place or sends to sign-in.
    const mayBeSignedIn = Boolean(readCookie(req.cookies, ACCESS_COOKIE) || readCookie(req.cookies, REFRESH_COOKIE));
    res.redirect(303, mayBeSignedIn ? '/journal' : '/login');
  });

  router.use('/journal', requirePageAuth(ctx));

  const renderEditor = (
    res: Response,
    entry: Partial<Entry> | undefined,
    status = 200,
    errors: Record<string, string> = {},
    conflict?: Entry,
  ) =>
    res.status(status).render('journal/edit', {
      title: entry?.id ? 'Edit entry' : 'New entry',
      entry: entry ?? {},
      errors,
      conflict,
      userId: signInState(res).userId,
      limits: { title: TITLE_MAX_CHARS, body: BODY_MAX_CHARS },
      scripts: ['/js/conflict.js', '/js/editor.js'],
    });

  async function ownEntry(res: Response, id: string | undefined): Promise<Entry> {
    const entry = id ? await findEntry(db, signInState(res).userId, id) : undefined;
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    return entry;
  }

  /**
   * Runs `save` with the form's fields and the version the form was opened at, or re-renders the
   * editor: with field errors, or (409) with the typed text beside the version saved meanwhile.
   */
  async function fromForm(
    req: Request,
    res: Response,
    entry: Partial<Entry> | undefined,
    save: (input: EntryInput, version: number | undefined) => Promise<UpdateResult>,
  ) {
    const form = textFields(req.body, ['title', 'body', 'version'] as const);
    // Only a hand-edited form has a bad version; it gets the plain 400 page.
    const version = versionOrThrow(expectedVersion(undefined, form.version));
    const checked = checkEntry(form);
    // The form keeps the version it was opened at, so a stale copy stays stale.
    if (checked.kind === 'invalid') return renderEditor(res, { ...entry, ...form, version }, 400, checked.errors);
    const input = checked.entry;
    const result = await save(input, version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    // Saving this form again is "keep mine": it now names the version saved elsewhere.
    if (result.kind === 'conflict') return renderEditor(res, { ...result.current, ...input }, 409, {}, result.current);
    res.redirect(303, `/journal/${result.entry.id}`);
  }

  router.get('/journal', async (req, res) => {
    const page = pageNumber(req);
    if (isSearch(req)) return renderSearchPage(db, req, res, page);
    const { entries, total } = await listEntries(db, signInState(res).userId, page);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    res.render('journal/index', { title: 'Your journal', entries, page, pages, total, messages: takeFlash(req) });
  });

  router.get('/journal/new', (_req, res) => {
    renderEditor(res, undefined);
  });

  router.post('/journal', (req, res) =>
    fromForm(req, res, undefined, async (input) => ({
      kind: 'saved',
      entry: await createEntry(db, signInState(res).userId, input, now()),
    })),
  );

  router.get('/journal/:id', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    res.render('journal/show', { title: entry.title || 'Untitled', entry });
  });

  router.get('/journal/:id/edit', async (req, res) => {
    renderEditor(res, await ownEntry(res, req.params.id));
  });

  router.post('/journal/:id', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    await fromForm(req, res, entry, (input, version) => updateEntry(db, signInState(res).userId, entry.id, input, now(), version));
  });

  router.get('/journal/:id/delete', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    res.render('journal/delete', { title: 'Delete entry', entry });
  });

  router.post('/journal/:id/delete', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    await deleteEntry(db, signInState(res).userId, entry.id);
    // The flash cookie carries no entry text: a title is the writer's words, and cookies end up in logs.
    req.flash('info', 'The entry was deleted.');
    res.redirect(303, '/journal');
  });

  router.use('/api/entries', requireApiAuth(ctx));

  router.get('/api/entries', async (req, res) => {
    const page = pageNumber(req);
    if (isSearch(req)) return sendSearchResults(db, req, res, page);
    const { entries, total } = await listEntries(db, signInState(res).userId, page);
    res.json({ entries: entries.map(toJson), page, pageSize: PAGE_SIZE, total });
  });

  router.post('/api/entries', async (req, res) => {
    const entry = await createEntry(db, signInState(res).userId, entryFromJson(req.body), now());
    sendEntry(res.location(`/api/entries/${entry.id}`), entry, 201);
  });

  router.get('/api/entries/:id', async (req, res) => {
    sendEntry(res, await ownEntry(res, req.params.id));
  });

  router.put('/api/entries/:id', async (req, res) => {
    const input = entryFromJson(req.body);
    const version = versionOrThrow(expectedVersion(req.get('If-Match'), (req.body as Record<string, unknown>).version));
    const result = await updateEntry(db, signInState(res).userId, req.params.id, input, now(), version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    if (result.kind === 'conflict') {
      return res.status(409).json({ error: 'conflict', message: CONFLICT, current: toJson(result.current) });
    }
    sendEntry(res, result.entry);
  });

  router.delete('/api/entries/:id', async (req, res) => {
    if (!(await deleteEntry(db, signInState(res).userId, req.params.id))) throw new AppError(404, 'not_found', NOT_FOUND);
    res.status(204).end();
  });

  return router;
}
