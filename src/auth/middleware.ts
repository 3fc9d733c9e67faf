// requireAuth for pages (refresh in place, else to the login page) and for the JSON API (401).
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { countAuthRejected, countRefresh, type RefreshOutcome } from '../http/metrics.js';
import { loginUrl } from '../http/safe-next.js';
import { ACCESS_COOKIE, clearAuthCookies, REFRESH_COOKIE, readCookie, setAuthCookies } from './cookies.js';
import { type ClientInfo, type IssuedSession, RefreshError } from './sessions.js';
import { TokenError, type TokenFailure } from './tokens.js';

export interface AuthState {
  userId: string;
  sid: string;
  /** Epoch seconds; the page hands it to secureFetch.js to refresh shortly before. */
  accessExpiresAt: number;
}

declare module 'express-serve-static-core' {
  interface Locals {
    auth?: AuthState;
    /** Epoch seconds on the server's clock, so page scripts can correct for a skewed device clock. */
    serverTime?: number;
  }
}

export const API_TOKEN_MESSAGES: Record<TokenFailure, string> = {
  missing: 'You are not signed in. Please sign in to continue.',
  expired: 'Your sign-in has expired. Refresh it and try again.',
  invalid: 'Your sign-in could not be verified. Please sign in again.',
};

export function clientInfo(req: Request): ClientInfo {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

/** The signed-in state from the access cookie, or the reason there is none. */
export function readAccess(ctx: AppContext, req: Request): AuthState | TokenFailure {
  try {
    const claims = ctx.tokens.verify('access', readCookie(req.cookies, ACCESS_COOKIE));
    return { userId: claims.sub, sid: claims.sid, accessExpiresAt: claims.exp };
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
}

/**
 * Rotates the refresh cookie and sets the new pair on `res` (the store records the audit event in
 * the same transaction). A refusal clears both cookies and is rethrown as RefreshError; a database
 * outage is rethrown untouched, cookies left alone.
 */
export async function refreshSession(ctx: AppContext, req: Request, res: Response): Promise<IssuedSession> {
  let issued: IssuedSession;
  try {
    issued = await ctx.sessions.rotate(readCookie(req.cookies, REFRESH_COOKIE), clientInfo(req));
  } catch (error) {
    const outcome = refreshFailureOutcome(error);
    if (outcome) countRefresh(ctx.metrics, outcome);
    if (error instanceof RefreshError) clearAuthCookies(res, ctx.config);
    throw error;
  }
  countRefresh(ctx.metrics, issued.viaGrace ? 'grace' : 'ok');
  setAuthCookies(res, ctx.config, { access: issued.access.token, refresh: issued.refresh.token }, issued.shared);
  return issued;
}

function refreshFailureOutcome(error: unknown): RefreshOutcome | undefined {
  if (error instanceof RefreshError) return error.code.slice('refresh_'.length) as RefreshOutcome;
  return isDatabaseUnavailable(error) ? 'unavailable' : undefined;
}

function stateOf(issued: IssuedSession): AuthState {
  return { userId: issued.userId, sid: issued.sid, accessExpiresAt: issued.access.claims.exp };
}

/** For HTML pages: a lapsed access token is renewed in place from the refresh cookie. */
export function requirePageAuth(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    res.locals.serverTime = Math.floor(ctx.now() / 1000);
    const access = readAccess(ctx, req);
    if (typeof access === 'object') {
      res.locals.auth = access;
      return next();
    }
    const sentAnyToken = Boolean(readCookie(req.cookies, ACCESS_COOKIE) || readCookie(req.cookies, REFRESH_COOKIE));
    if (readCookie(req.cookies, REFRESH_COOKIE)) {
      try {
        res.locals.auth = stateOf(await refreshSession(ctx, req, res));
        return next();
      } catch (error) {
        if (!(error instanceof RefreshError)) throw error;
      }
    }
    // A form post cannot be replayed after signing in, so only a GET comes back to its own URL.
    const nextPath = req.method === 'GET' ? req.originalUrl : '/journal';
    res.redirect(303, loginUrl(nextPath, sentAnyToken ? 'session_expired' : undefined));
  };
}

/** For /api/*: no redirects and no refresh here; secureFetch.js refreshes on a 401. */
export function requireApiAuth(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    const access = readAccess(ctx, req);
    if (typeof access === 'string') {
      countAuthRejected(ctx.metrics, access);
      return next(new AppError(401, `token_${access}`, API_TOKEN_MESSAGES[access]));
    }
    res.locals.auth = access;
    next();
  };
}

export function signedInUser(res: Response): AuthState {
  const auth = res.locals.auth;
  if (!auth) throw new AppError(401, 'token_missing', API_TOKEN_MESSAGES.missing);
  return auth;
}
