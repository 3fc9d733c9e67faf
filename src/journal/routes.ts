// Journal pages: plain forms that work without JavaScript (the JSON API is in api-routes.ts).
import { type Request, type Response, Router } from 'express';
import { ACCESS_COOKIE, REFRESH_COOKIE, readCookie } from '../auth/cookies.js';
import { loadTimeZone, requirePageAuth, signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { localDay } from '../time-zone.js';
import { entriesApiRoutes } from './api-routes.js';
import { calendarRoutes } from './calendar.js';
import { checklistRoutes, renderEntryPage } from './checklist-routes.js';
import {
  BODY_MAX_CHARS,
  checkEntry,
  countEntries,
  createEntry,
  type Entry,
  type EntryInput,
  findEntry,
  PAGE_SIZE,
  pageOfEntries,
  TITLE_MAX_CHARS,
  type UpdateResult,
  updateEntry,
} from './entries.js';
import { historyRoutes } from './history-routes.js';
import { ownPhotoIds } from './photos.js';
import { listFilter, NOT_FOUND, pageNumber, versionOrThrow } from './route-helpers.js';
import { loadJournalState, refuseFormsWhenSealed } from './sealed.js';
import { isSearch, renderSearchPage, searchRoutes } from './search-routes.js';
import { starRoutes } from './starred.js';
import { currentStreak } from './streak.js';
import { typedTags } from './tags.js';
import { NO_TEMPLATE, templateRoutes } from './template-routes.js';
import { findTemplate } from './templates.js';
import { filterQuery, listTitle, monthsWithCounts, onThisDay } from './timeline.js';
import { findTrashed, purgeDate } from './trash.js';
import { trashRoutes } from './trash-routes.js';
import { expectedVersion } from './versions.js';

/** Consecutive entries of the same month (the list is newest first), for the month headings. */
function byMonth(entries: readonly Entry[]): { month: string; entries: Entry[] }[] {
  const groups: { month: string; entries: Entry[] }[] = [];
  for (const entry of entries) {
    const month = entry.entryDate.slice(0, 7);
    if (groups.at(-1)?.month !== month) groups.push({ month, entries: [] });
    groups.at(-1)!.entries.push(entry);
  }
  return groups;
}

/** `/`: any token cookie may still be renewable; /journal refreshes in place or sends to sign-in. */
function home(req: Request, res: Response) {
  const mayBeSignedIn = Boolean(readCookie(req.cookies, ACCESS_COOKIE) || readCookie(req.cookies, REFRESH_COOKIE));
  res.redirect(303, mayBeSignedIn ? '/journal' : '/login');
}

export function journalRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const now = () => new Date(ctx.now());
  const today = (res: Response) => localDay(now(), res.locals.timeZone ?? 'UTC');

  const renderEditor = (
    res: Response,
    entry: Partial<Entry> & { typedTags?: string },
    status = 200,
    errors: Record<string, string> = {},
    conflict?: Entry,
  ) =>
    res.status(status).render('journal/edit', {
      title: entry.id ? 'Edit entry' : 'New entry',
      entry: { ...entry, typedTags: entry.typedTags ?? typedTags(entry.tags ?? [], entry.title ?? '', entry.body ?? '').join(' ') },
      errors,
      conflict,
      userId: signInState(res).userId,
      limits: { title: TITLE_MAX_CHARS, body: BODY_MAX_CHARS },
      scripts: ['/js/conflict.js', '/js/editor.js', '/js/photo-upload.js'],
    });

  async function ownEntry(res: Response, id: string | undefined): Promise<Entry> {
    const entry = id ? await findEntry(db, signInState(res).userId, id) : undefined;
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    return entry;
  }

  /** A page for one entry: the live entry, or (404) a page pointing to the trash when it is there. */
  async function entryOrTrashPage(res: Response, id: string | undefined): Promise<Entry | undefined> {
    const entry = id ? await findEntry(db, signInState(res).userId, id) : undefined;
    if (entry) return entry;
    const trashed = id ? await findTrashed(db, signInState(res).userId, id) : undefined;
    if (!trashed) throw new AppError(404, 'not_found', NOT_FOUND);
    res.status(404).render('journal/in-trash', { title: 'In the trash', entry: trashed, purgeAt: purgeDate(trashed) });
  }

  /**
   * Runs `save` with the form's fields and the version the form was opened at, or re-renders the
   * editor: with field errors, or (409) with the typed text beside the version saved meanwhile.
   */
  async function fromForm(
    req: Request,
    res: Response,
    entry: Partial<Entry>,
    save: (input: EntryInput, version: number | undefined) => Promise<UpdateResult>,
  ) {
    const form = textFields(req.body, ['title', 'body', 'version', 'entry_date', 'tags'] as const);
    // Only a hand-edited form has a bad version; it gets the plain 400 page.
    const version = versionOrThrow(expectedVersion(undefined, form.version));
    const checked = checkEntry({ title: form.title, body: form.body, entryDate: form.entry_date, tags: form.tags });
    const typed = { title: form.title, body: form.body, entryDate: form.entry_date, typedTags: form.tags };
    // The form keeps the version it was opened at, so a stale copy stays stale.
    if (checked.kind === 'invalid') return renderEditor(res, { ...entry, ...typed, version }, 400, checked.errors);
    const result = await save(checked.entry, version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    // Saving this form again is "keep mine": it now names the version saved elsewhere.
    if (result.kind === 'conflict') return renderEditor(res, { ...result.current, ...typed }, 409, {}, result.current);
    res.redirect(303, `/journal/${result.entry.id}`);
  }

  async function listEntries(req: Request, res: Response) {
    const page = pageNumber(req);
    if (isSearch(req)) return renderSearchPage(db, req, res, page);
    const { userId } = signInState(res);
    const filter = listFilter(req);
    const filtered = Object.keys(filter).length > 0;
    const [entries, months, narrowedTotal, earlier, streak] = await Promise.all([
      pageOfEntries(db, userId, page, filter),
      monthsWithCounts(db, userId),
      // The timeline's counts already give the total, unless a day, tag or star narrows the list.
      filter.tag || filter.day || filter.starred ? countEntries(db, userId, filter) : undefined,
      filtered || page > 1 ? Promise.resolve([]) : onThisDay(db, userId, today(res)),
      currentStreak(db, userId, today(res)),
    ]);
    const total = narrowedTotal ?? months.reduce((sum, m) => sum + (!filter.month || m.month === filter.month ? m.count : 0), 0);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const query = (p: number) => filterQuery(filter, p);
    res.render('journal/index', {
      title: listTitle(filter),
      streak,
      filtered,
      entries,
      groups: byMonth(entries),
      page,
      pages,
      total,
      filter,
      months,
      earlier,
      pageHref: (p: number) => `/journal${query(p) ? `?${query(p)}` : ''}`,
      messages: takeFlash(req),
    });
  }

  async function newEntry(req: Request, res: Response) {
    const { template: id } = req.query;
    if (id === undefined || id === '') return renderEditor(res, { entryDate: today(res) });
    const template = typeof id === 'string' ? await findTemplate(db, signInState(res).userId, id) : undefined;
    if (!template) throw new AppError(404, 'not_found', NO_TEMPLATE);
    const { title, body, tags } = template;
    renderEditor(res, { entryDate: today(res), title, body, typedTags: typedTags(tags, title, body).join(' ') });
  }

  function createFromForm(req: Request, res: Response) {
    return fromForm(req, res, {}, async (input) => ({
      kind: 'saved',
      entry: await createEntry(db, signInState(res).userId, input, now(), today(res)),
    }));
  }

  async function showEntry(req: Request<{ id: string }>, res: Response) {
    const entry = await entryOrTrashPage(res, req.params.id);
    if (!entry) return;
    renderEntryPage(res, entry, takeFlash(req), 200, await ownPhotoIds(db, signInState(res).userId, entry.body));
  }

  async function editEntry(req: Request<{ id: string }>, res: Response) {
    const entry = await entryOrTrashPage(res, req.params.id);
    if (entry) renderEditor(res, entry);
  }

  async function updateFromForm(req: Request<{ id: string }>, res: Response) {
    const entry = await ownEntry(res, req.params.id);
    await fromForm(req, res, entry, (input, version) => updateEntry(db, signInState(res).userId, entry.id, input, now(), version));
  }

  router.get('/', home);
  router.use('/journal', requirePageAuth(ctx), loadTimeZone(ctx), loadJournalState(ctx));
  // A sealed journal is written from the browser only: no plaintext form may land in it (DESIGN §16).
  const refuseWhenSealed = refuseFormsWhenSealed(ctx);
  router.post(['/journal/:id/star', '/journal/:id/checklist'], refuseWhenSealed);
  router.use(trashRoutes(ctx), starRoutes(ctx), calendarRoutes(ctx), checklistRoutes(ctx), historyRoutes(ctx), templateRoutes(ctx));
  router.get('/journal', listEntries);
  router.get('/journal/new', newEntry);
  router.post('/journal', refuseWhenSealed, createFromForm);
  router.get('/journal/:id', showEntry);
  router.get('/journal/:id/edit', editEntry);
  router.post('/journal/:id', refuseWhenSealed, updateFromForm);
  router.use(entriesApiRoutes(ctx));
  router.use(searchRoutes(ctx));
  return router;
}
