// requireAuth for pages (refresh in place, else to the login page) and for the JSON API (401), and
// the one place where a refresh outcome becomes cookies.
import type { Request, RequestHandler, Response } from 'express';
import { clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { countAuthRejected, countRefresh } from '../http/metrics.js';
import { loginUrl } from '../http/safe-next.js';
import { checkTimeZone, DEFAULT_TIME_ZONE, saveTimeZone } from '../time-zone.js';
import { ACCESS_COOKIE, clearAuthCookies, REFRESH_COOKIE, readCookie, setAuthCookies } from './cookies.js';
import { isSessionRevoked } from './revocations.js';
import { type IssuedSession, type Rotation, rotateSession } from './sessions.js';
import { checkToken } from './tokens.js';
import { cachedUser, forgetUsers } from './user-cache.js';
import { findUserById, type User } from './users.js';

export interface AuthState {
  userId: string;
  sid: string;
  /** Epoch seconds; the page hands it to secureFetch.js to refresh shortly before. */
  accessExpiresAt: number;
  /** Epoch seconds of this session's last full sign-in (step-up, DESIGN §11). */
  authTime: number;
  /**
   * Signed in with "This is a shared computer", so the page keeps drafts in sessionStorage only
   * (DESIGN §14). Undefined only from an access token minted before access tokens carried it.
   */
  shared?: boolean;
}

declare module 'express-serve-static-core' {
  interface Locals {
    auth?: AuthState;
    /** Epoch seconds on the server's clock, so page scripts can correct for a skewed device clock. */
    serverTime?: number;
  }
}

export type AccessFailure = 'missing' | 'expired' | 'invalid' | 'revoked';
export type AccessCheck = { kind: 'signed_in'; auth: AuthState } | { kind: AccessFailure };

export const API_TOKEN_MESSAGES: Record<AccessFailure, string> = {
  missing: 'You are not signed in. Please sign in to continue.',
  expired: 'Your sign-in has expired. Refresh it and try again.',
  invalid: 'Your sign-in could not be verified. Please sign in again.',
  revoked: 'This session was signed out. Please sign in again.',
};

/** The signed-in state from the access cookie, or why there is none. Reads no database. */
export function checkAccess(ctx: AppContext, req: Request): AccessCheck {
  const checked = checkToken(ctx.tokenKeys, 'access', readCookie(req.cookies, ACCESS_COOKIE), ctx.now());
  if (checked.kind !== 'valid') return checked;
  const { sub, sid, exp, auth_time, shared } = checked.claims;
  if (isSessionRevoked(ctx.revokedSessions, sid)) return { kind: 'revoked' };
  return { kind: 'signed_in', auth: { userId: sub, sid, accessExpiresAt: exp, authTime: auth_time, shared } };
}

/** The signed-in state a freshly issued pair stands for. */
export function authStateOf(session: IssuedSession): AuthState {
  const { claims } = session.access;
  return { userId: session.userId, sid: session.sid, accessExpiresAt: claims.exp, authTime: claims.auth_time, shared: session.shared };
}

/**
 * Whether this session's refresh token says "This is a shared computer": for an access token minted
 * before access tokens said so themselves (such a token lives one access lifetime at most).
 */
function onSharedComputer(ctx: AppContext, req: Request, sid: string): boolean {
  const checked = checkToken(ctx.tokenKeys, 'refresh', readCookie(req.cookies, REFRESH_COOKIE), ctx.now());
  return checked.kind === 'valid' && checked.claims.sid === sid && checked.claims.shared === true;
}

/**
 * Rotates the refresh cookie: a new pair on `res` when it worked, both cookies cleared when it was
 * refused. A database outage throws, leaving the cookies alone.
 */
export async function refreshSession(ctx: AppContext, req: Request, res: Response, renewedAuthTime?: number): Promise<Rotation> {
  const presented = readCookie(req.cookies, REFRESH_COOKIE);
  const rotation = await rotateSession(ctx, presented, clientInfo(req), renewedAuthTime).catch((error: unknown) => {
    if (isDatabaseUnavailable(error)) countRefresh(ctx.metrics, 'unavailable');
    throw error;
  });
  countRefresh(ctx.metrics, rotation.kind);
  if (rotation.kind === 'ok' || rotation.kind === 'grace') {
    const { access, refresh, shared } = rotation.session;
    setAuthCookies(res, ctx.config, { access, refresh }, shared);
  } else {
    clearAuthCookies(res, ctx.config);
  }
  if (rotation.kind === 'reused' && rotation.detectedNow)
    ctx.events.emit({ kind: 'theft', userId: rotation.userId, sessionId: rotation.sid, ...clientInfo(req) });
  return rotation;
}

/** For HTML pages: a lapsed or revoked access token is renewed in place from the refresh cookie. */
export function requirePageAuth(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    // Already checked by a router mounted on a wider path: a second refresh would rotate a spent token.
    if (res.locals.auth) return next();
    res.locals.serverTime = Math.floor(ctx.now() / 1000);
    const access = checkAccess(ctx, req);
    if (access.kind === 'signed_in') {
      res.locals.auth = { ...access.auth, shared: access.auth.shared ?? onSharedComputer(ctx, req, access.auth.sid) };
      return next();
    }
    const sentAnyToken = Boolean(readCookie(req.cookies, ACCESS_COOKIE) || readCookie(req.cookies, REFRESH_COOKIE));
    let ended = access.kind === 'revoked';
    if (readCookie(req.cookies, REFRESH_COOKIE)) {
      const rotation = await refreshSession(ctx, req, res);
      if (rotation.kind === 'ok' || rotation.kind === 'grace') {
        res.locals.auth = authStateOf(rotation.session);
        return next();
      }
      ended = rotation.kind === 'revoked';
    }
    // A form post cannot be replayed after signing in, so only a GET comes back to its own URL.
    const nextPath = req.method === 'GET' ? req.originalUrl : '/journal';
    res.redirect(303, loginUrl(nextPath, ended ? 'session_ended' : sentAnyToken ? 'session_expired' : undefined));
  };
}

/** For /api/*: no redirects and no refresh here; secureFetch.js refreshes on a 401. */
export function requireApiAuth(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    const access = checkAccess(ctx, req);
    if (access.kind !== 'signed_in') {
      countAuthRejected(ctx.metrics, access.kind);
      return next(new AppError(401, `token_${access.kind}`, API_TOKEN_MESSAGES[access.kind]));
    }
    res.locals.auth = access.auth;
    next();
  };
}

/** Who is signed in on a route behind requirePageAuth or requireApiAuth. */
export function signInState(res: Response): AuthState {
  const auth = res.locals.auth;
  if (!auth) throw new AppError(401, 'token_missing', API_TOKEN_MESSAGES.missing);
  return auth;
}

const ACCOUNT_GONE = 'This account no longer exists.';

/** The signed-in user's row, read now; a session whose account was deleted is refused like a bad token. */
export async function findSignedInUser(ctx: AppContext, res: Response): Promise<User> {
  const user = await findUserById(ctx.db, signInState(res).userId);
  if (!user) throw new AppError(401, 'token_invalid', ACCOUNT_GONE);
  return user;
}

/**
 * The same row for showing who is signed in (GET /api/me), from the process's cache when it has one:
 * a change made anywhere reaches it within a moment (LISTEN/NOTIFY). A password check reads
 * findSignedInUser instead, never a copy.
 */
export async function signedInUser(ctx: AppContext, res: Response): Promise<User> {
  const user = await cachedUser(ctx.userCache, ctx.db, signInState(res).userId);
  if (!user) throw new AppError(401, 'token_invalid', ACCOUNT_GONE);
  return user;
}

/** The writer's zone for the dates the server writes, from the process's copy of the user row. */
export async function writerTimeZone(ctx: AppContext, userId: string): Promise<string> {
  const user = await cachedUser(ctx.userCache, ctx.db, userId);
  return checkTimeZone(user?.timeZone) ?? DEFAULT_TIME_ZONE;
}

/** After requirePageAuth: the writer's zone on res.locals for the views. */
export function loadTimeZone(ctx: AppContext): RequestHandler {
  return async (_req, res, next) => {
    const userId = res.locals.auth?.userId;
    res.locals.timeZone = userId ? await writerTimeZone(ctx, userId) : DEFAULT_TIME_ZONE;
    next();
  };
}

/**
 * Saves the zone the browser reported (saveTimeZone) and drops this process's copy of the row, so
 * the page it goes to next shows the new zone without waiting for the change notice.
 */
export async function saveWriterTimeZone(ctx: AppContext, userId: string, timeZone: unknown): Promise<boolean> {
  const saved = await saveTimeZone(ctx.db, userId, timeZone);
  if (saved && ctx.userCache) forgetUsers(ctx.userCache, [userId]);
  return saved;
}
