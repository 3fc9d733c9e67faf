// Sign-out, token refresh and the signed-in user (the ways in are in sign-in/).
import { type Request, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { limiter } from '../http/rate-limit.js';
import { clearAuthCookies, REFRESH_COOKIE, readCookie } from './cookies.js';
import { checkAccess, refreshSession, requireApiAuth, signedInUser, signInState } from './middleware.js';
import { endSessions, refuseHere, sessionOfRefreshToken } from './sessions.js';

const REFRESH_MESSAGES = {
  missing: 'You are not signed in.',
  invalid: 'Your session is no longer valid. Please sign in again.',
  expired: 'Your session has expired. Please sign in again.',
  revoked: 'This session was signed out on another device or after a password change. Please sign in again.',
  reused: 'This session was signed out for your safety because an old sign-in token was used again. Please sign in again.',
} as const;

export function authRoutes(ctx: AppContext): Router {
  const router = Router();
  const { config, db, logger } = ctx;
  const limits = ctx.rateLimits;

  router.post('/logout', async (req, res) => {
    const session = sessionToEnd(ctx, req);
    if (session) {
      const at = new Date(ctx.now());
      refuseHere(ctx, await endSessions(db, session.userId, 'logout', at, { only: session.sid }), at);
      await recordAudit(db, logger, auditEvent(ctx, req, { type: AUDIT.logout, userId: session.userId, sessionId: session.sid }));
    }
    clearAuthCookies(res, config);
    // Drops this origin's HTTP cache, so Back after signing out finds no journal page to show.
    res.set('Clear-Site-Data', '"cache"');
    res.redirect(303, '/login?flash=logged_out');
  });

  router.post('/refresh', limiter(limits.refreshPerIp, ctx.now, 'session refreshes'), async (req, res) => {
    const rotation = await refreshSession(ctx, req, res);
    if (rotation.kind !== 'ok' && rotation.kind !== 'grace') {
      throw new AppError(401, `refresh_${rotation.kind}`, REFRESH_MESSAGES[rotation.kind]);
    }
    res.json({ accessTokenExpiresAt: rotation.session.access.claims.exp });
  });

  router.get('/api/me', requireApiAuth(ctx), async (_req, res) => {
    const user = await signedInUser(ctx, res);
    const auth = signInState(res);
    res.json({ id: user.id, email: user.email, sessionId: auth.sid, accessTokenExpiresAt: auth.accessExpiresAt });
  });

  router.get('/api/test-token-expired', (_req, _res, next) => {
    // A fixed 401 lets the browser suite drive secureFetch's refresh path; never in production.
    if (config.profile === 'production') return next();
    next(new AppError(401, 'token_expired', 'This test route always answers as if the access token had expired.'));
  });

  return router;
}

/** The session a sign-out ends: from the access token, or from the refresh token when that lapsed. */
function sessionToEnd(ctx: AppContext, req: Request): { userId: string; sid: string } | undefined {
  const access = checkAccess(ctx, req);
  if (access.kind === 'signed_in') return access.auth;
  return sessionOfRefreshToken(ctx, readCookie(req.cookies, REFRESH_COOKIE));
}
