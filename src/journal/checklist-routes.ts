// Ticking a checklist item on the entry's page: one small form, saved with the version it was shown at.
import { type Request, type Response, Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { setItem } from './checklists.js';
import { type Entry, findEntry, toJson, updateEntry } from './entries.js';
import { checklistItems, renderMarkdown } from './markdown.js';
import { CONFLICT, NOT_FOUND, versionOrThrow } from './route-helpers.js';
import { expectedVersion } from './versions.js';

export const CHECKLIST_FORM = 'checklist';

/** The entry's page: its checklist boxes are buttons of one form that carries the version shown. */
export function renderEntryPage(res: Response, entry: Entry, messages: string[], status = 200, ownPhotos?: ReadonlySet<string>): void {
  const html = renderMarkdown(entry.body, { checklist: { form: CHECKLIST_FORM }, ownPhotos });
  res.status(status).render('journal/show', {
    title: entry.title || 'Untitled',
    entry,
    html,
    messages,
    checklistForm: html.includes(`form="${CHECKLIST_FORM}"`) ? CHECKLIST_FORM : undefined,
    scripts: ['/js/checklists.js'],
  });
}

/** task=<index>:<1 ticked | 0 not>, as the box's button sends it. */
function taskField(value: string): { index: number; done: boolean } {
  const match = /^(\d{1,6}):([01])$/.exec(value);
  if (!match) throw new AppError(400, 'task_invalid', 'Tick a box of the entry’s checklist.', { task: 'index:1 or index:0' });
  return { index: Number(match[1]), done: match[2] === '1' };
}

const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

function conflict(req: Request, res: Response, current: Entry) {
  if (wantsJson(req)) return res.status(409).json({ error: 'conflict', message: CONFLICT, current: toJson(current) });
  renderEntryPage(res, current, [`${CONFLICT} This is the entry as it is now; tick again if you still want to.`], 409);
}

/** Mounted behind requirePageAuth on /journal: POST /journal/:id/checklist with version and task. */
export function checklistRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/journal/:id/checklist', async function tickChecklistItem(req, res) {
    const { userId } = signInState(res);
    const form = textFields(req.body, ['version', 'task'] as const);
    const version = versionOrThrow(expectedVersion(undefined, form.version));
    if (version === undefined) throw new AppError(400, 'version_missing', 'Send the version of the entry the box was shown on.');
    const { index, done } = taskField(form.task);
    const entry = await findEntry(ctx.db, userId, req.params.id);
    if (!entry) throw new AppError(404, 'not_found', NOT_FOUND);
    if (entry.version !== version) return conflict(req, res, entry);
    const item = checklistItems(entry.body)[index];
    const body = item && setItem(entry.body, item.line, done);
    if (body === undefined) throw new AppError(400, 'task_invalid', 'This entry has no such checklist item.');
    const input = { title: entry.title, body, entryDate: undefined, tags: undefined };
    const result = await updateEntry(ctx.db, userId, entry.id, input, new Date(ctx.now()), version);
    if (result.kind === 'not_found') throw new AppError(404, 'not_found', NOT_FOUND);
    if (result.kind === 'conflict') return conflict(req, res, result.current);
    if (wantsJson(req)) return res.json({ version: result.entry.version, task: index, checked: done });
    res.redirect(303, `/journal/${entry.id}#task-${index}`);
  });
  return router;
}
