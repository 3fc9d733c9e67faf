// The oidc_flows table and the transient cookie that names a row: one "Continue with …" in progress,
// and the identity that waits for an existing account's owner to sign in before it is linked.
import { createHash, randomBytes } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { readCookie } from '../auth/cookies.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';

export const FLOW_COOKIE = 'smriti_oidc_flow';
// Sent to the callback and the link pages only. SameSite=Lax is enough: the provider brings the
// browser back with a top-level GET navigation, which carries Lax cookies (README).
const FLOW_COOKIE_PATH = '/auth/oidc';
/** Long enough to sign in at the provider (or, for a waiting link, with the password and code). */
export const FLOW_TTL_SECONDS = 600;

export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** confirm: a fresh sign-in for step-up (§11), for accounts that sign in through the provider. */
  intent: 'sign_in' | 'link' | 'confirm';
  /** link and confirm: the signed-in user who started it. */
  userId: string | null;
  shared: boolean;
  next: string;
}

export interface WaitingLink {
  userId: string;
  issuer: string;
  subject: string;
  email: string;
}

const hashHandle = (handle: string) => createHash('sha256').update(handle).digest('hex');
const HANDLE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function cookieOptions(ctx: AppContext): CookieOptions {
  const { secure, domain } = ctx.config.cookies;
  return { httpOnly: true, secure, sameSite: 'lax', path: FLOW_COOKIE_PATH, ...(domain ? { domain } : {}) };
}

function setFlowCookie(ctx: AppContext, res: Response, handle: string): void {
  res.cookie(FLOW_COOKIE, handle, { ...cookieOptions(ctx), maxAge: FLOW_TTL_SECONDS * 1000 });
}

export function clearFlowCookie(ctx: AppContext, res: Response): void {
  res.clearCookie(FLOW_COOKIE, cookieOptions(ctx));
}

function flowHandle(req: Request): string | undefined {
  const handle = readCookie(req.cookies, FLOW_COOKIE);
  return handle && HANDLE_SHAPE.test(handle) ? handle : undefined;
}

export async function startFlow(ctx: AppContext, res: Response, flow: OidcFlow): Promise<void> {
  const handle = randomBytes(32).toString('base64url');
  const at = ctx.now();
  await ctx.db.query(
    `INSERT INTO oidc_flows (handle_hash, state, nonce, code_verifier, intent, user_id, shared, next, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      hashHandle(handle),
      flow.state,
      flow.nonce,
      flow.codeVerifier,
      flow.intent,
      flow.userId,
      flow.shared,
      flow.next,
      new Date(at),
      new Date(at + FLOW_TTL_SECONDS * 1000),
    ],
  );
  setFlowCookie(ctx, res, handle);
}

const FLOW_COLUMNS = `state, nonce, code_verifier AS "codeVerifier", intent, user_id AS "userId", shared, next`;

/** Spends this browser's flow at the callback: a replayed or late callback finds nothing. */
export async function takeFlow(ctx: AppContext, req: Request): Promise<(OidcFlow & { handle: string }) | undefined> {
  const handle = flowHandle(req);
  if (!handle) return undefined;
  const result = await ctx.db.query<OidcFlow>(
    `UPDATE oidc_flows SET used_at = $2 WHERE handle_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING ${FLOW_COLUMNS}`,
    [hashHandle(handle), new Date(ctx.now())],
  );
  const flow = result.rows[0];
  return flow ? { ...flow, handle } : undefined;
}

/** The identity waits in the spent flow for the account's owner; the cookie comes back for the link page. */
export async function parkLink(ctx: AppContext, res: Response, handle: string, link: WaitingLink): Promise<void> {
  await ctx.db.query(
    `UPDATE oidc_flows SET link_user_id = $2, link_issuer = $3, link_subject = $4, link_email = $5, expires_at = $6 WHERE handle_hash = $1`,
    [hashHandle(handle), link.userId, link.issuer, link.subject, link.email, new Date(ctx.now() + FLOW_TTL_SECONDS * 1000)],
  );
  setFlowCookie(ctx, res, handle);
}

const WAITING = `handle_hash = $1 AND link_user_id IS NOT NULL AND linked_at IS NULL AND expires_at > $2`;
const LINK_COLUMNS = `link_user_id AS "userId", link_issuer AS issuer, link_subject AS subject, link_email AS email`;

export async function findWaitingLink(ctx: AppContext, req: Request): Promise<WaitingLink | undefined> {
  const handle = flowHandle(req);
  if (!handle) return undefined;
  const result = await ctx.db.query<WaitingLink>(`SELECT ${LINK_COLUMNS} FROM oidc_flows WHERE ${WAITING}`, [
    hashHandle(handle),
    new Date(ctx.now()),
  ]);
  return result.rows[0];
}

/** Spends the waiting link, once, inside the caller's transaction. */
export async function takeWaitingLink(tx: Queryable, req: Request, at: Date): Promise<WaitingLink | undefined> {
  const handle = flowHandle(req);
  if (!handle) return undefined;
  const result = await tx.query<WaitingLink>(`UPDATE oidc_flows SET linked_at = $2 WHERE ${WAITING} RETURNING ${LINK_COLUMNS}`, [
    hashHandle(handle),
    at,
  ]);
  return result.rows[0];
}

export async function pruneOidcFlows(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM oidc_flows WHERE expires_at < $1', [before])).rowCount;
}
