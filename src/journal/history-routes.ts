// The history pages: an entry's versions, any one of them shown, and one restored as a new version.
import { type Response, Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { type Entry, findEntry, type UpdateResult, updateEntry } from './entries.js';
import { describeChange, type EntryVersion, findVersion, HISTORY_PAGE_SIZE, listVersions } from './history.js';
import { renderMarkdown } from './markdown.js';
import { CONFLICT, NOT_FOUND, versionOrThrow } from './route-helpers.js';
import { JOURNAL_OPEN, JOURNAL_SEALED, journalState, writeSealed } from './sealed.js';
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

  /** A sealed version comes back as it was sealed (its additional data names the entry, not the version). */
  async function restoreVersion(res: Response, entry: Entry, old: EntryVersion, current: number): Promise<UpdateResult> {
    const state = await journalState(db, userOf(res));
    if (state === 'sealed' && old.sealed === null) throw new AppError(409, 'journal_sealed', JOURNAL_SEALED);
    const at = new Date(ctx.now());
    if (old.sealed === null) {
      return updateEntry(
        db,
        userOf(res),
        entry.id,
        { title: old.title, body: old.body, entryDate: old.entryDate, tags: old.tags },
        at,
        current,
      );
    }
    if (state !== 'sealed') throw new AppError(409, 'journal_open', JOURNAL_OPEN);
    const write = { id: entry.id, sealed: old.sealed, version: current, entryDate: old.entryDate };
    const saved = await writeSealed(db, userOf(res), write, at);
    if (saved) return { kind: 'saved', entry: saved };
    const now = await findEntry(db, userOf(res), entry.id);
    return now ? { kind: 'conflict', current: now } : { kind: 'not_found' };
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
    const result = await restoreVersion(res, entry, old, current ?? entry.version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    if (result.kind === 'conflict') throw new AppError(409, 'conflict', `${CONFLICT} Open the history again to see it.`);
    req.flash('info', `Restored version ${old.version} as version ${result.entry.version}; every earlier version is still in the history.`);
    res.redirect(303, `/journal/${entry.id}`);
  });

  return router;
}
