// Stars: the entries a writer marks to find again. Starring from the entry's page is one small form.
import { Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { isEntryId } from './entries.js';
import { NOT_FOUND, starredParam } from './route-helpers.js';

/**
 * Sets the star only: the text, its version and updated_at stay, so an editor open on the entry
 * does not become stale because it was starred.
 */
export async function setStarred(db: Queryable, userId: string, id: string, starred: boolean): Promise<boolean> {
  if (!isEntryId(id)) return false;
  const result = await db.query(`UPDATE entries SET starred = $3 WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL`, [
    id,
    userId,
    starred,
  ]);
  return result.rowCount === 1;
}

/** Mounted behind requirePageAuth on /journal: POST /journal/:id/star with starred=1 or 0. */
export function starRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/journal/:id/star', async function starEntry(req, res) {
    const starred = starredParam(textFields(req.body, ['starred'] as const).starred);
    if (!(await setStarred(ctx.db, signInState(res).userId, req.params.id, starred))) throw new AppError(404, 'not_found', NOT_FOUND);
    res.redirect(303, `/journal/${req.params.id}`);
  });
  return router;
}
