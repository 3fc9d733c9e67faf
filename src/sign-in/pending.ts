// The pending sign-in: a first factor accepted, the second awaited. A signed `pending` token in its
// own short-lived cookie names a row of pending_sign_ins, which counts its tries and is spent once.
import { randomUUID } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { readCookie } from '../auth/cookies.js';
import { checkToken, PENDING_TTL_SECONDS, signToken } from '../auth/tokens.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { safeNextPath } from '../http/safe-next.js';

export const PENDING_COOKIE = 'smriti_pending_sign_in';
/** Sent only to the sign-in pages, so no other route ever sees it. */
const PENDING_COOKIE_PATH = '/login';
export const MAX_CODE_FAILURES = 5;

// A way in's name as the pending token carries it back (`password`, `oidc`, …); anything else reads as `password`.
const METHOD_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export interface PendingSignIn {
  id: string;
  userId: string;
  /** How the first factor was proved; recorded with the sign-in. */
  method: string;
  shared: boolean;
  next: string;
  failures: number;
}

function cookieOptions(ctx: AppContext): CookieOptions {
  const { secure, sameSite, domain } = ctx.config.cookies;
  return { httpOnly: true, secure, sameSite, path: PENDING_COOKIE_PATH, ...(domain ? { domain } : {}) };
}

export async function startPendingSignIn(
  ctx: AppContext,
  res: Response,
  first: { userId: string; method: string; shared: boolean; next: string },
): Promise<void> {
  const id = randomUUID();
  const nowMs = ctx.now();
  await ctx.db.query('INSERT INTO pending_sign_ins (id, user_id, expires_at) VALUES ($1, $2, $3)', [
    id,
    first.userId,
    new Date(nowMs + PENDING_TTL_SECONDS * 1000),
  ]);
  // `next` rides in the signed token rather than the URL, so the page address stays /login/two-factor.
  const subject = { sub: first.userId, sid: id, shared: first.shared, method: first.method, next: first.next };
  const { token } = signToken(ctx.tokenKeys, 'pending', subject, nowMs);
  res.cookie(PENDING_COOKIE, token, { ...cookieOptions(ctx), maxAge: PENDING_TTL_SECONDS * 1000 });
}

export function clearPendingCookie(ctx: AppContext, res: Response): void {
  res.clearCookie(PENDING_COOKIE, cookieOptions(ctx));
}

/** The live pending sign-in this browser holds: a genuine pending token whose row is not ended. */
export async function findPendingSignIn(ctx: AppContext, req: Request): Promise<PendingSignIn | undefined> {
  const checked = checkToken(ctx.tokenKeys, 'pending', readCookie(req.cookies, PENDING_COOKIE), ctx.now());
  if (checked.kind !== 'valid') return undefined;
  const { sub: userId, sid: id, shared = false, method, next } = checked.claims;
  const result = await ctx.db.query<{ failures: number }>(
    'SELECT failures FROM pending_sign_ins WHERE id = $1 AND user_id = $2 AND ended_at IS NULL AND expires_at > $3',
    [id, userId, new Date(ctx.now())],
  );
  const row = result.rows[0];
  if (!row || row.failures >= MAX_CODE_FAILURES) return undefined;
  return {
    id,
    userId,
    method: method && METHOD_NAME.test(method) ? method : 'password',
    shared,
    next: safeNextPath(next),
    failures: row.failures,
  };
}

/**
 * Takes one of the pending sign-in's five tries before its code is checked, in one statement, so
 * concurrent codes can never pass five; answers how many it has had, or undefined when none is left
 * (or it ended or lapsed meanwhile).
 */
export async function takeCodeTry(db: Queryable, pending: PendingSignIn, now: Date): Promise<number | undefined> {
  const result = await db.query<{ failures: number }>(
    `UPDATE pending_sign_ins SET failures = failures + 1
      WHERE id = $1 AND user_id = $2 AND ended_at IS NULL AND expires_at > $3 AND failures < $4
      RETURNING failures`,
    [pending.id, pending.userId, now, MAX_CODE_FAILURES],
  );
  return result.rows[0]?.failures;
}

/** The code was not checked after all (the account's limit refused it): the try is given back. */
export async function giveBackCodeTry(db: Queryable, pending: PendingSignIn): Promise<void> {
  await db.query('UPDATE pending_sign_ins SET failures = failures - 1 WHERE id = $1 AND user_id = $2 AND failures > 0', [
    pending.id,
    pending.userId,
  ]);
}

/** Spends the pending sign-in; false when it was already spent or ended (the token is single-use). */
export async function endPendingSignIn(db: Queryable, pending: PendingSignIn, at: Date): Promise<boolean> {
  const result = await db.query('UPDATE pending_sign_ins SET ended_at = $3 WHERE id = $1 AND user_id = $2 AND ended_at IS NULL', [
    pending.id,
    pending.userId,
    at,
  ]);
  return result.rowCount === 1;
}

export async function prunePendingSignIns(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM pending_sign_ins WHERE expires_at < $1', [before])).rowCount;
}

/** Ends every pending sign-in of the user: a first factor proved before a password reset or change is no longer one. */
export async function endPendingSignIns(db: Queryable, userId: string, at: Date): Promise<number> {
  return (await db.query('UPDATE pending_sign_ins SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL', [userId, at])).rowCount;
}
