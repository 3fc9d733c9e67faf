// The refresh_tokens store: sessions (token families), rotation with reuse detection, ending them.
import { createHash, randomUUID } from 'node:crypto';
import { AUDIT, logAudit } from '../audit.js';
import type { ClientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { timeOrderedUuid } from '../uuid.js';
import { isSessionRevoked, markSessionsRevoked } from './revocations.js';
import { checkToken, type SignedToken, signToken, type TokenSubject } from './tokens.js';

export type RevokeReason =
  | 'logout'
  | 'refresh_reuse_detected'
  | 'revoked_by_user'
  | 'password_changed'
  | 'password_reset'
  | 'account_deleted'
  | 'email_changed'
  | 'ways_in_removed';

export type SessionDeps = Pick<AppContext, 'config' | 'db' | 'tokenKeys' | 'logger' | 'now' | 'revokedSessions'>;

export interface IssuedSession {
  userId: string;
  sid: string;
  access: SignedToken;
  refresh: SignedToken;
  shared: boolean;
}

/**
 * What became of a presented refresh token; `ok` and `grace` carry the new pair. `revoked`: the
 * session was ended on purpose (signed out, password changed); `reused`: it was ended as stolen,
 * by this very request when `detectedNow` (the owner is told once).
 */
export type Rotation =
  | { kind: 'ok' | 'grace'; session: IssuedSession }
  | { kind: 'missing' | 'expired' | 'invalid' | 'revoked' }
  | { kind: 'reused'; detectedNow: boolean; userId: string; sid: string };

/** What a way in tells startSession about the sign-in it completed. */
export interface SignInFacts {
  /** "This is a shared computer": browser-session cookies. */
  shared: boolean;
  /** Epoch seconds of the full sign-in; defaults to now. */
  authTime?: number;
}

export interface SessionSummary {
  sid: string;
  signedInAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** Only this digest is stored: a leaked table cannot be replayed as cookies. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const INSERT_TOKEN = `INSERT INTO refresh_tokens (id, user_id, token_hash, jti, family_id, issued_at, expires_at, user_agent, ip)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

// The whole refresh, one statement: see migrations/007_one_statement_refresh.sql.
export const ROTATE_SQL = 'SELECT rotate_refresh_token($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS outcome';

function signPair(deps: SessionDeps, subject: TokenSubject) {
  const nowMs = deps.now();
  const refresh = signToken(deps.tokenKeys, 'refresh', subject, nowMs);
  const access = signToken(
    deps.tokenKeys,
    'access',
    { sub: subject.sub, sid: subject.sid, authTime: refresh.claims.auth_time, shared: subject.shared },
    nowMs,
  );
  return { refresh, access };
}

/** The stored row of a new refresh token, in the column order both INSERT_TOKEN and ROTATE_SQL take. */
function tokenRow(refresh: SignedToken, client: ClientInfo, nowMs: number) {
  const { claims } = refresh;
  return {
    id: timeOrderedUuid(nowMs),
    hash: hashToken(refresh.token),
    jti: claims.jti,
    issuedAt: new Date(claims.iat * 1000),
    expiresAt: new Date(claims.exp * 1000),
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    ip: client.ip,
  };
}

/** A new session (token family) for a user who just proved who they are. */
export async function startSession(deps: SessionDeps, userId: string, client: ClientInfo, facts: SignInFacts): Promise<IssuedSession> {
  const sid = randomUUID();
  const { shared } = facts;
  const { refresh, access } = signPair(deps, { sub: userId, sid, shared, authTime: facts.authTime });
  const row = tokenRow(refresh, client, deps.now());
  await deps.db.query(
    INSERT_TOKEN,
    [row.id, userId, row.hash, row.jti, sid, row.issuedAt, row.expiresAt, row.userAgent, row.ip],
    'insert_refresh_token',
  );
  return { userId, sid, access, refresh, shared };
}

/**
 * Spends a refresh token for a new pair in the same family: one database round trip. The pair keeps
 * the session's auth_time and absolute end; `renewedAuthTime` (a fresh sign-in on /account/confirm)
 * replaces the auth_time.
 */
export async function rotateSession(
  deps: SessionDeps,
  token: string | undefined,
  client: ClientInfo,
  renewedAuthTime?: number,
): Promise<Rotation> {
  const checked = checkToken(deps.tokenKeys, 'refresh', token, deps.now());
  if (checked.kind !== 'valid') return { kind: checked.kind };
  const { sub: userId, sid, shared = false, auth_time, session_exp } = checked.claims;
  const nowMs = deps.now();
  const next = signPair(deps, { sub: userId, sid, shared, authTime: renewedAuthTime ?? auth_time, sessionExp: session_exp });
  if (next.refresh.claims.exp <= next.refresh.claims.iat) return { kind: 'expired' };
  const row = tokenRow(next.refresh, client, nowMs);
  const result = await deps.db.query<{ outcome: 'ok' | 'grace' | 'reused' | 'invalid' | 'revoked' | 'revoked_theft' }>(
    ROTATE_SQL,
    [
      userId,
      sid,
      hashToken(token!),
      new Date(nowMs),
      `${deps.config.jwt.reuseGraceSeconds} seconds`,
      row.id,
      row.hash,
      row.jti,
      row.issuedAt,
      row.expiresAt,
      row.userAgent,
      row.ip,
    ],
    'rotate_refresh_token',
  );
  const outcome = result.rows[0]!.outcome;
  const event = { userId, sessionId: sid, ...client, at: new Date(nowMs) };
  // No row left: a deleted account's rows are gone, but its sessions stay in the recent revocations.
  if (outcome === 'invalid') return { kind: isSessionRevoked(deps.revokedSessions, sid) ? 'revoked' : 'invalid' };
  if (outcome === 'revoked') return { kind: 'revoked' };
  if (outcome === 'revoked_theft') return { kind: 'reused', detectedNow: false, userId, sid };
  if (outcome === 'reused') {
    logAudit(deps.logger, { ...event, type: AUDIT.refreshReuseDetected });
    return { kind: 'reused', detectedNow: true, userId, sid };
  }
  logAudit(deps.logger, { ...event, type: AUDIT.tokenRefreshed, ...(outcome === 'grace' ? { detail: { grace: true } } : {}) });
  return { kind: outcome, session: { userId, sid, ...next, shared } };
}

/** The session a refresh token belongs to, if it is genuine and current (the database is not asked). */
export function sessionOfRefreshToken(deps: SessionDeps, token: string | undefined): { userId: string; sid: string } | undefined {
  const checked = checkToken(deps.tokenKeys, 'refresh', token, deps.now());
  return checked.kind === 'valid' ? { userId: checked.claims.sub, sid: checked.claims.sid } : undefined;
}

/**
 * Ends sessions of the user inside the caller's transaction (or as one statement on `db`): `only`
 * one session, or every session but `keep`. Their access tokens are refused on every process
 * once it commits (see revocations.ts). Returns the session ids ended.
 */
export async function endSessions(
  db: Queryable,
  userId: string,
  reason: RevokeReason,
  at: Date,
  which: { only: string } | { keep: string | null },
): Promise<string[]> {
  const only = 'only' in which ? which.only : null;
  const keep = 'keep' in which ? which.keep : null;
  const result = await db.query<{ ended: string[] }>('SELECT end_sessions($1, $2, $3, $4, $5) AS ended', [userId, reason, at, only, keep]);
  return result.rows[0]!.ended;
}

/**
 * After the ending committed: this process refuses those sessions' access tokens at once, without
 * waiting for its own notice on the revocation channel (the next request of the same person may
 * arrive first). Every other process hears the notice.
 */
export function refuseHere(deps: Pick<SessionDeps, 'revokedSessions'>, sids: readonly string[], at: Date): void {
  markSessionsRevoked(deps.revokedSessions, sids, at.getTime());
}

/** The user's live sessions, the most recently used first. */
export async function listSessions(db: Queryable, userId: string, now: Date): Promise<SessionSummary[]> {
  const result = await db.query<SessionSummary>(
    `SELECT family_id AS sid, min(issued_at) AS "signedInAt", max(issued_at) AS "lastUsedAt",
            (array_agg(user_agent ORDER BY issued_at DESC))[1] AS "userAgent",
            (array_agg(ip ORDER BY issued_at DESC))[1] AS ip
       FROM refresh_tokens
      WHERE user_id = $1
      GROUP BY family_id
     HAVING bool_or(is_valid AND expires_at > $2) AND bool_and(revoked_at IS NULL)
      ORDER BY max(issued_at) DESC`,
    [userId, now],
  );
  return result.rows;
}

/** Deletes refresh-token rows that expired before `before`. */
export async function pruneRefreshTokens(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM refresh_tokens WHERE expires_at < $1', [before])).rowCount;
}
