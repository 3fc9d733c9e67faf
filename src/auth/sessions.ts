// The refresh_tokens store: sessions (token families), rotation with reuse detection, revocation.
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AUDIT, recordAudit } from '../audit.js';
import type { Db, Queryable } from '../db/db.js';
import { type SignedToken, TokenError, type TokenService } from './tokens.js';

export type RefreshFailure = 'refresh_missing' | 'refresh_invalid' | 'refresh_expired' | 'refresh_reused';

export const REFRESH_FAILURE_MESSAGES: Record<RefreshFailure, string> = {
  refresh_missing: 'You are not signed in.',
  refresh_invalid: 'Your session is no longer valid. Please sign in again.',
  refresh_expired: 'Your session has expired. Please sign in again.',
  refresh_reused: 'This session was signed out for your safety because an old sign-in token was used again. Please sign in again.',
};

export class RefreshError extends Error {
  override name = 'RefreshError';
  constructor(readonly code: RefreshFailure) {
    super(REFRESH_FAILURE_MESSAGES[code]);
  }
}

export type RevokeReason =
  | 'logout'
  | 'refresh_reuse_detected'
  | 'revoked_by_user'
  | 'password_changed'
  | 'password_reset'
  | 'account_deleted';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface IssuedSession {
  userId: string;
  sid: string;
  access: SignedToken;
  refresh: SignedToken;
  shared: boolean;
  /** True when a recently rotated token was presented again inside the grace window. */
  viaGrace: boolean;
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

interface StoredToken {
  id: string;
  user_id: string;
  family_id: string;
  used_at: Date | null;
  revoked_at: Date | null;
}

const userLockKey = (userId: string) => `smriti:user:${userId}`;

/** The statements of one rotation, exported so the benchmark's SQL baseline runs exactly these. */
export const ROTATION_SQL = {
  // Every change to a user's families takes the user's advisory lock first, so a rotation racing a
  // sign-out or a password change cannot mint a token into a family that is being revoked. Taking
  // it in the same statement saves a round trip: FOR UPDATE re-reads the row once the lock is held.
  lockUserAndFind: `WITH user_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($2, 0)))
    SELECT t.id, t.user_id, t.family_id, t.used_at, t.revoked_at
      FROM refresh_tokens t CROSS JOIN user_lock
     WHERE t.token_hash = $1
       FOR UPDATE OF t`,
  mint: `INSERT INTO refresh_tokens (id, user_id, token_hash, jti, family_id, issued_at, expires_at, user_agent, ip)
    VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($7), $8, $9)`,
  // The presented token, and any sibling minted in an earlier grace window, are spent as the
  // successor is inserted (the foreign key on replaced_by is checked at the statement's end).
  spendFamilyAndMint: `WITH spent AS (
      UPDATE refresh_tokens SET is_valid = false, used_at = $10, replaced_by = $1
       WHERE family_id = $5 AND is_valid AND used_at IS NULL)
    INSERT INTO refresh_tokens (id, user_id, token_hash, jti, family_id, issued_at, expires_at, user_agent, ip)
    VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($7), $8, $9)`,
} as const;

async function lockUser(tx: Queryable, userId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [userLockKey(userId)]);
}

export interface SessionStoreDeps {
  db: Db;
  tokens: TokenService;
  now: () => number;
  reuseGraceSeconds: number;
  logger: Logger;
}

export function createSessionStore({ db, tokens, now, reuseGraceSeconds, logger }: SessionStoreDeps) {
  /** Signs a new pair and inserts its refresh row with `sql` (mint, or spend-and-mint with `extra`). */
  async function mint(
    tx: Queryable,
    userId: string,
    sid: string,
    shared: boolean,
    client: ClientInfo,
    sql: string = ROTATION_SQL.mint,
    extra: unknown[] = [],
  ) {
    const refresh = tokens.sign('refresh', { sub: userId, sid, shared });
    const access = tokens.sign('access', { sub: userId, sid });
    await tx.query(sql, [
      randomUUID(),
      userId,
      hashToken(refresh.token),
      refresh.claims.jti,
      sid,
      refresh.claims.iat,
      refresh.claims.exp,
      client.userAgent?.slice(0, 512) ?? null,
      client.ip,
      ...extra,
    ]);
    return { refresh, access };
  }

  async function start(userId: string, client: ClientInfo, shared: boolean): Promise<IssuedSession> {
    const sid = randomUUID();
    const { refresh, access } = await db.transaction((tx) => mint(tx, userId, sid, shared, client));
    return { userId, sid, access, refresh, shared, viaGrace: false };
  }

  function verifyRefresh(token: string | undefined) {
    try {
      return tokens.verify('refresh', token);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      throw new RefreshError(
        error.reason === 'missing' ? 'refresh_missing' : error.reason === 'expired' ? 'refresh_expired' : 'refresh_invalid',
      );
    }
  }

  async function rotate(token: string | undefined, client: ClientInfo): Promise<IssuedSession> {
    const claims = verifyRefresh(token);
    const shared = claims.shared === true;
    const at = new Date(now());
    const event = { userId: claims.sub, sessionId: claims.sid, ...client, at };
    const outcome = await db.transaction(async (tx) => {
      const found = await tx.query<StoredToken>(ROTATION_SQL.lockUserAndFind, [hashToken(token!), userLockKey(claims.sub)]);
      const stored = found.rows[0];
      if (!stored || stored.user_id !== claims.sub || stored.family_id !== claims.sid || stored.revoked_at) {
        return { kind: 'invalid' as const };
      }
      if (stored.used_at) {
        const sinceUse = (at.getTime() - stored.used_at.getTime()) / 1000;
        if (sinceUse > reuseGraceSeconds) {
          await revokeFamilyIn(tx, claims.sub, claims.sid, 'refresh_reuse_detected', at);
          await recordAudit(tx, logger, { ...event, type: AUDIT.refreshReuseDetected });
          return { kind: 'reused' as const };
        }
        // Two tabs or two requests in flight sent the same token: a sibling in the same family.
        const minted = await mint(tx, claims.sub, claims.sid, shared, client);
        await recordAudit(tx, logger, { ...event, type: AUDIT.tokenRefreshed, detail: { grace: true } });
        return { kind: 'ok' as const, minted, viaGrace: true };
      }
      const minted = await mint(tx, claims.sub, claims.sid, shared, client, ROTATION_SQL.spendFamilyAndMint, [at]);
      await recordAudit(tx, logger, { ...event, type: AUDIT.tokenRefreshed });
      return { kind: 'ok' as const, minted, viaGrace: false };
    });
    if (outcome.kind === 'invalid') throw new RefreshError('refresh_invalid');
    if (outcome.kind === 'reused') throw new RefreshError('refresh_reused');
    const { access, refresh } = outcome.minted;
    return { userId: claims.sub, sid: claims.sid, access, refresh, shared, viaGrace: outcome.viaGrace };
  }

  async function revokeFamilyIn(tx: Queryable, userId: string, sid: string, reason: RevokeReason, at: Date): Promise<number> {
    const result = await tx.query(
      `UPDATE refresh_tokens SET is_valid = false, revoked_at = $4, revoked_reason = $3
        WHERE user_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
      [userId, sid, reason, at],
    );
    return result.rowCount;
  }

  /** Revokes one session of the user; false when it was not theirs or already ended. */
  async function revoke(userId: string, sid: string, reason: RevokeReason): Promise<boolean> {
    const count = await db.transaction(async (tx) => {
      await lockUser(tx, userId);
      return revokeFamilyIn(tx, userId, sid, reason, new Date(now()));
    });
    return count > 0;
  }

  /** Revokes every session of the user but `keepSid` (null: every session); returns how many. */
  async function revokeOthers(userId: string, keepSid: string | null, reason: RevokeReason, tx?: Queryable): Promise<number> {
    const work = async (q: Queryable) => {
      await lockUser(q, userId);
      const result = await q.query<{ family_id: string }>(
        `UPDATE refresh_tokens SET is_valid = false, revoked_at = $3, revoked_reason = $2
          WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR family_id <> $4::uuid)
          RETURNING family_id`,
        [userId, reason, new Date(now()), keepSid],
      );
      return new Set(result.rows.map((r) => r.family_id)).size;
    };
    return tx ? work(tx) : db.transaction(work);
  }

  async function list(userId: string): Promise<SessionSummary[]> {
    const result = await db.query<SessionSummary>(
      `SELECT family_id AS sid, min(issued_at) AS "signedInAt", max(issued_at) AS "lastUsedAt",
              (array_agg(user_agent ORDER BY issued_at DESC))[1] AS "userAgent",
              (array_agg(ip ORDER BY issued_at DESC))[1] AS ip
         FROM refresh_tokens
        WHERE user_id = $1
        GROUP BY family_id
       HAVING bool_or(is_valid AND expires_at > $2) AND bool_and(revoked_at IS NULL)
        ORDER BY max(issued_at) DESC`,
      [userId, new Date(now())],
    );
    return result.rows;
  }

  return { start, rotate, revoke, revokeOthers, list, verifyRefresh };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/**
 * Ends every session of the user but `keepSid` (null: every one) inside the caller's transaction,
 * so the revocation commits, or rolls back, with the change that caused it. Returns how many ended.
 */
export async function revokeUserSessions(
  tx: Queryable,
  userId: string,
  reason: RevokeReason,
  at: Date,
  keepSid: string | null,
): Promise<number> {
  await lockUser(tx, userId);
  const result = await tx.query<{ family_id: string }>(
    `UPDATE refresh_tokens SET is_valid = false, revoked_at = $3, revoked_reason = $2
      WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR family_id <> $4::uuid)
      RETURNING family_id`,
    [userId, reason, at, keepSid],
  );
  return new Set(result.rows.map((r) => r.family_id)).size;
}

// Kept a day past expiry so a late replay of a just-expired token is still recognised in the table.
export const PRUNE_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;

/** Deletes rows that expired over a day before `now`; no live session needs them. */
export async function pruneExpiredRefreshTokens(db: Queryable, now: number): Promise<number> {
  const result = await db.query(`DELETE FROM refresh_tokens WHERE expires_at < $1`, [new Date(now - PRUNE_AFTER_EXPIRY_MS)]);
  return result.rowCount;
}
