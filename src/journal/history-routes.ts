// The history pages: an entry's versions, any one of them shown, and one restored as a new version.
import { type Response, Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { type Entry, findEntry, updateEntry } from './entries.js';
import { describeChange, findVersion, HISTORY_PAGE_SIZE, listVersions } from './history.js';
import { renderMarkdown } from './markdown.js';
import { CONFLICT, NOT_FOUND, versionOrThrow } from './route-helpers.js';
import { fromField } from './versions.js';

const NO_VERSION = 'This entry has no such version.';

/** Mounted behind requirePageAuth and loadTimeZone on /journal. */
export function historyRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const userOf = (res: Response) => signInState(res).userId;

  async function ownEntry(res: Response, id: string | undefined): Promise<Entry> {
    const entry = id ? await findEntry(db, userOf(res), id) : undefined;
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    return entry;
  }

  async function ownVersion(res: Response, entry: Entry, raw: string | undefined) {
    const number = versionOrThrow(fromField(raw));
    const version = number === undefined ? undefined : await findVersion(db, userOf(res), entry.id, number);
    if (!version) throw new AppError(404, 'not_found', NO_VERSION);
    return version;
  }

  router.get('/journal/:id/history', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    const versions = (await listVersions(db, userOf(res), entry.id)).map((v) => ({ ...v, change: describeChange(v) }));
    res.render('journal/history', {
      title: `History of ${entry.title || 'Untitled'}`,
      entry,
      versions,
      limited: versions.length === HISTORY_PAGE_SIZE,
      messages: takeFlash(req),
    });
  });

  router.get('/journal/:id/history/:version', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    const version = await ownVersion(res, entry, req.params.version);
    res.render('journal/version', {
      title: `Version ${version.version} of ${entry.title || 'Untitled'}`,
      entry,
      version,
      html: renderMarkdown(version.body),
    });
  });

  router.post('/journal/:id/history/:version/restore', async (req, res) => {
    const entry = await ownEntry(res, req.params.id);
    const old = await ownVersion(res, entry, req.params.version);
    // The page names the version it was opened at: a change saved since then is not overwritten.
    const current = versionOrThrow(fromField(textFields(req.body, ['current'] as const).current));
    const input = { title: old.title, body: old.body, entryDate: old.entryDate, tags: old.tags };
    const result = await updateEntry(db, userOf(res), entry.id, input, new Date(ctx.now()), current ?? entry.version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    if (result.kind === 'conflict') throw new AppError(409, 'conflict', `${CONFLICT} Open the history again to see it.`);
    req.flash('info', `Restored version ${old.version} as version ${result.entry.version}; every earlier version is still in the history.`);
    res.redirect(303, `/journal/${entry.id}`);
  });

  return router;
}
