// Journal pages and the entries JSON API.
import { Router } from 'express';
import { readAccess, requirePageAuth } from '../auth/middleware.js';
import type { AppContext } from '../context.js';

export function journalRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.redirect(303, typeof readAccess(ctx, req) === 'object' ? '/journal' : '/login');
  });

  router.get('/journal', requirePageAuth(ctx), (_req, res) => {
    res.render('journal/index', { title: 'Your journal', entries: [] });
  });

  return router;
}
