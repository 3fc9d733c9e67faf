// GET /account/activity: the signed-in owner's own security events, 50 a page.
import { Router } from 'express';
import { requirePageAuth, signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { listActivity } from './activity.js';

const MAX_PAGE = 10_000;

function pageNumber(value: unknown): number | undefined {
  if (value === undefined) return 1;
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value)) return undefined;
  const page = Number(value);
  return page >= 1 && page <= MAX_PAGE ? page : undefined;
}

export function activityRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/account/activity', requirePageAuth(ctx), async (req, res) => {
    const page = pageNumber(req.query.page);
    if (page === undefined) throw new AppError(400, 'bad_page', `The page must be a whole number from 1 to ${MAX_PAGE}.`);
    // Only ever the signed-in user's events: there is no way to name another account here.
    const { items, hasOlder } = await listActivity(ctx.db, signInState(res).userId, page);
    res.set('Cache-Control', 'no-store');
    res.render('notify/activity', { title: 'Account activity', items, page, hasOlder });
  });
  return router;
}
