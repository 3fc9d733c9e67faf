// Step-up: a sensitive action needs a full sign-in within STEP_UP_SECONDS (DESIGN §11), read from
// the access token's auth_time, so the check costs no database read.
import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../context.js';
import { AppError, wantsJson } from '../http/errors.js';
import { signInState } from './middleware.js';

export const CONFIRM_PATH = '/account/confirm';

export function hasRecentSignIn(ctx: AppContext, authTime: number): boolean {
  return Math.floor(ctx.now() / 1000) - authTime <= ctx.config.stepUpSeconds;
}

/** Where to come back to: the page itself for a GET, the page the form was on for a post. */
function returnPath(req: Request): string {
  if (req.method === 'GET') return req.originalUrl;
  const referer = req.get('referer');
  if (referer) {
    try {
      const url = new URL(referer);
      if (url.host === req.get('host')) return url.pathname + url.search;
    } catch {
      // an unreadable Referer: fall back below
    }
  }
  return '/account';
}

export function confirmUrl(nextPath: string): string {
  return `${CONFIRM_PATH}?${new URLSearchParams({ next: nextPath }).toString()}`;
}

/** Behind requirePageAuth or requireApiAuth: pages go to the confirm page, JSON answers 403 step_up_required. */
export function requireRecentSignIn(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    if (hasRecentSignIn(ctx, signInState(res).authTime)) return next();
    if (wantsJson(req)) {
      return next(new AppError(403, 'step_up_required', 'Please confirm it is you (sign in again) before doing this.'));
    }
    res.redirect(303, confirmUrl(returnPath(req)));
  };
}
