// The trash pages: move an entry there, see what is in it, bring one back, or delete it for good.
import { type Response, Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { findEntry } from './entries.js';
import { NOT_FOUND } from './route-helpers.js';
import { findTrashed, listTrash, purgeDate, purgeEntry, restoreEntry, TRASH_DAYS, trashEntry } from './trash.js';

const NOT_IN_TRASH = 'There is no such entry in your trash.';

/** Mounted behind requirePageAuth and loadTimeZone on /journal. */
export function trashRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const userOf = (res: Response) => signInState(res).userId;

  router.get('/journal/trash', async (req, res) => {
    const { entries, total } = await listTrash(db, userOf(res));
    const withDates = entries.map((entry) => ({ entry, purgeAt: purgeDate(entry) }));
    res.render('journal/trash', { title: 'Trash', entries: withDates, total, days: TRASH_DAYS, messages: takeFlash(req) });
  });

  router.get('/journal/:id/delete', async (req, res) => {
    const entry = await findEntry(db, userOf(res), req.params.id);
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    res.render('journal/delete', { title: 'Delete entry', entry, days: TRASH_DAYS });
  });

  router.post('/journal/:id/delete', async (req, res) => {
    const entry = await findEntry(db, userOf(res), req.params.id);
    if (!entry || !(await trashEntry(db, userOf(res), entry.id, new Date(ctx.now())))) throw new AppError(404, 'not_found', NOT_FOUND);
    req.flash('info', `Moved the entry to the trash. It stays there for ${TRASH_DAYS} days.`);
    res.redirect(303, '/journal');
  });

  router.post('/journal/:id/restore', async (req, res) => {
    const entry = await restoreEntry(db, userOf(res), req.params.id);
    if (!entry) throw new AppError(404, 'not_found', NOT_IN_TRASH);
    req.flash('info', 'Restored the entry from the trash.');
    res.redirect(303, `/journal/${entry.id}`);
  });

  // Deleting for good asks first, on a page of its own (DESIGN §15): the trash only links here.
  router.get('/journal/:id/purge', async (req, res) => {
    const entry = await findTrashed(db, userOf(res), req.params.id);
    if (!entry) throw new AppError(404, 'not_found', NOT_IN_TRASH);
    res.render('journal/purge', { title: 'Delete for good', entry });
  });

  router.post('/journal/:id/purge', async (req, res) => {
    const entry = await findTrashed(db, userOf(res), req.params.id);
    if (!entry || !(await purgeEntry(db, userOf(res), entry.id))) throw new AppError(404, 'not_found', NOT_IN_TRASH);
    req.flash('info', 'Deleted the entry for good.');
    res.redirect(303, '/journal/trash');
  });

  return router;
}
