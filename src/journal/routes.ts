// Journal pages and the entries JSON API.
import { Router } from 'express';
import { ACCESS_COOKIE, REFRESH_COOKIE, readCookie } from '../auth/cookies.js';
import { requirePageAuth } from '../auth/middleware.js';
import type { AppContext } from '../context.js';

export function journalRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/', (req, res) => {
    // Any token cookie may still be renewable; /journal refreshes in place or sends to sign-in.
    const mayBeSignedIn = Boolean(readCookie(req.cookies, ACCESS_COOKIE) || readCookie(req.cookies, REFRESH_COOKIE));
    res.redirect(303, mayBeSignedIn ? '/journal' : '/login');
  });

  router.get('/journal', requirePageAuth(ctx), (_req, res) => {
    res.render('journal/index', { title: 'Your journal', entries: [] });
  });

  return router;
}
