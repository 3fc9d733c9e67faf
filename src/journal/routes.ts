// Journal pages (plain forms that work without JavaScript) and the entries JSON API.
import { type Request, type Response, Router } from 'express';
import { ACCESS_COOKIE, REFRESH_COOKIE, readCookie } from '../auth/cookies.js';
import { requireApiAuth, requirePageAuth, signedInUser } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import {
  BODY_MAX_CHARS,
  createEntry,
  deleteEntry,
  type Entry,
  type EntryInput,
  findEntry,
  listEntries,
  PAGE_SIZE,
  TITLE_MAX_CHARS,
  toJson,
  updateEntry,
  validateEntry,
} from './entries.js';
import { isSearch, renderSearchPage, sendSearchResults } from './search-routes.js';

const NOT_FOUND = 'There is no such entry in your journal.';

function pageNumber(req: Request): number {
  const raw = req.query.page;
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,5}$/.test(raw))
    throw new AppError(400, 'page_invalid', 'The page number must be a whole number from 1.');
  return Number(raw);
}

function entryFromJson(body: unknown): EntryInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(400, 'body_invalid', 'Send a JSON object with "title" and "body".');
  }
  const { title, body: text } = body as Record<string, unknown>;
  return validateEntry({ title: title ?? '', body: text ?? '' });
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

  const renderEditor = (res: Response, entry: Partial<Entry> | undefined, status = 200, errors: Record<string, string> = {}) =>
    res.status(status).render('journal/edit', {
      title: entry?.id ? 'Edit entry' : 'New entry',
      entry: entry ?? {},
      errors,
      userId: signedInUser(res).userId,
      limits: { title: TITLE_MAX_CHARS, body: BODY_MAX_CHARS },
      scripts: ['/js/editor.js'],
    });

  async function ownEntry(res: Response, id: string | undefined): Promise<Entry> {
    const entry = id ? await findEntry(db, signedInUser(res).userId, id) : undefined;
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    return entry;
  }

  /** Runs `save` with the form's fields, or re-renders the editor with field errors. */
  async function fromForm(
    req: Request,
    res: Response,
    entry: Partial<Entry> | undefined,
    save: (input: EntryInput) => Promise<Entry | undefined>,
  ) {
    const form = textFields(req.body, ['title', 'body'] as const);
    let input: EntryInput;
    try {
      input = validateEntry(form);
    } catch (error) {
      if (error instanceof AppError && error.fields) return renderEditor(res, { ...entry, ...form }, 400, error.fields);
      throw error;
    }
    const saved = await save(input);
    if (!saved) throw new AppError(404, 'not_found', NOT_FOUND);
    res.redirect(303, `/journal/${saved.id}`);
  }

  router.get('/journal', async (req, res) => {
    const page = pageNumber(req);
    if (isSearch(req)) return renderSearchPage(db, req, res, page);
    const { entries, total } = await listEntries(db, signedInUser(res).userId, page);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    res.render('journal/index', { title: 'Your journal', entries, page, pages, total, messages: takeFlash(req) });
  });

  router.get('/journal/new', (_req, res) => {
    renderEditor(res, undefined);
  });

  router.post('/journal', (req, res) => fromForm(req, res, undefined, (input) => createEntry(db, signedInUser(res).userId, input, now())));

  router.get('/journal/:id', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    res.render('journal/show', { title: entry.title || 'Untitled', entry });
  });

  router.get('/journal/:id/edit', async (req, res) => {
    renderEditor(res, await ownEntry(res, req.params.id));
  });

  router.post('/journal/:id', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    await fromForm(req, res, entry, (input) => updateEntry(db, signedInUser(res).userId, entry.id, input, now()));
  });

  router.get('/journal/:id/delete', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    res.render('journal/delete', { title: 'Delete entry', entry });
  });

  router.post('/journal/:id/delete', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    await deleteEntry(db, signedInUser(res).userId, entry.id);
    req.flash('info', `Deleted “${entry.title || 'Untitled'}”.`);
    res.redirect(303, '/journal');
  });

  router.use('/api/entries', requireApiAuth(ctx));

  router.get('/api/entries', async (req, res) => {
    const page = pageNumber(req);
    if (isSearch(req)) return sendSearchResults(db, req, res, page);
    const { entries, total } = await listEntries(db, signedInUser(res).userId, page);
    res.json({ entries: entries.map(toJson), page, pageSize: PAGE_SIZE, total });
  });

  router.post('/api/entries', async (req, res) => {
    const entry = await createEntry(db, signedInUser(res).userId, entryFromJson(req.body), now());
    res.status(201).location(`/api/entries/${entry.id}`).json(toJson(entry));
  });

  router.get('/api/entries/:id', async (req, res) => {
    res.json(toJson(await ownEntry(res, req.params.id)));
  });

  router.put('/api/entries/:id', async (req, res) => {
    const input = entryFromJson(req.body);
    const entry = await updateEntry(db, signedInUser(res).userId, req.params.id, input, now());
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    res.json(toJson(entry));
  });

  router.delete('/api/entries/:id', async (req, res) => {
    if (!(await deleteEntry(db, signedInUser(res).userId, req.params.id))) throw new AppError(404, 'not_found', NOT_FOUND);
    res.status(204).end();
  });

  return router;
}
