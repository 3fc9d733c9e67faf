// Sessions ended recently, held in memory so that checking an access token reads no database.
// Every process learns of an ending through PostgreSQL NOTIFY (sent by end_sessions() when its
// transaction commits) and reloads the recent ones from session_revocations whenever it (re)connects.
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/db.js';
import { isUuid } from '../uuid.js';
import { forgetUsers, resetUserCache, type UserCache } from './user-cache.js';

export const REVOCATION_CHANNEL = 'smriti_revocations';

export interface RevokedSessions {
  /** How long an entry matters: an access token's lifetime plus the leeway. */
  readonly keepMs: number;
  readonly now: () => number;
  /** Session id → when its entry may be dropped (epoch ms). */
  readonly until: Map<string, number>;
  nextSweepAt: number;
}

/** How long a revocation matters: until every access token of the session has expired, leeway included. */
export function revocationKeepMs(jwt: { accessTtlSeconds: number; leewaySeconds: number }): number {
  return (jwt.accessTtlSeconds + jwt.leewaySeconds) * 1000;
}

export function createRevokedSessions(jwt: { accessTtlSeconds: number; leewaySeconds: number }, now: () => number): RevokedSessions {
  return { keepMs: revocationKeepMs(jwt), now, until: new Map(), nextSweepAt: 0 };
}

/** Every access token of these sessions was issued before `atMs`, so none outlives `atMs + keepMs`. */
export function markSessionsRevoked(revoked: RevokedSessions, sids: readonly string[], atMs: number): void {
  const until = atMs + revoked.keepMs;
  for (const sid of sids) if (until > (revoked.until.get(sid) ?? 0)) revoked.until.set(sid, until);
  sweep(revoked);
}

export function isSessionRevoked(revoked: RevokedSessions, sid: string): boolean {
  const until = revoked.until.get(sid);
  return until !== undefined && until > revoked.now();
}

/** Drops entries no access token can need any more, at most once per keep window's tenth. */
function sweep(revoked: RevokedSessions): void {
  const now = revoked.now();
  if (now < revoked.nextSweepAt) return;
  revoked.nextSweepAt = now + revoked.keepMs / 10;
  for (const [sid, until] of revoked.until) if (until <= now) revoked.until.delete(sid);
}

/**
 * A notice as end_sessions() words it, `{"at": <epoch ms>, "sessions": [<uuid>, …]}`, or as a change
 * to user rows does (migrations/035), with `"users": [<uuid>, …]` too; anything else is ignored.
 */
export function parseRevocationNotice(payload: string): { at: number; sessions: string[]; users: string[] } | undefined {
  let notice: unknown;
  try {
    notice = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const { at, sessions, users = [] } = (notice ?? {}) as { at?: unknown; sessions?: unknown; users?: unknown };
  if (!Number.isSafeInteger(at) || !Array.isArray(sessions) || !sessions.every(isUuid)) return undefined;
  if (!Array.isArray(users) || !users.every(isUuid)) return undefined;
  return { at: at as number, sessions, users };
}

async function reloadRecent(db: Queryable, revoked: RevokedSessions): Promise<number> {
  const since = new Date(revoked.now() - revoked.keepMs);
  const result = await db.query<{ family_id: string; revoked_at: Date }>(
    'SELECT family_id, revoked_at FROM session_revocations WHERE revoked_at > $1',
    [since],
  );
  for (const row of result.rows) markSessionsRevoked(revoked, [row.family_id], row.revoked_at.getTime());
  return result.rowCount;
}

/**
 * Keeps `revoked` (and the process's cache of user rows, when it has one) current for as long as the
 * process runs; returns the function that stops it. While the listening connection is down the last
 * known set of revocations stays in force and the user cache is not used; on reconnection the recent
 * revocations are reloaded, so one made during the gap is enforced from then on.
 */
export function listenForRevocations(db: Db, revoked: RevokedSessions, logger: Logger, users?: UserCache): Promise<() => Promise<void>> {
  return db.listen(REVOCATION_CHANNEL, {
    onNotify(payload) {
      const notice = parseRevocationNotice(payload);
      if (!notice) return logger.warn('ignored a malformed notice on the revocation channel');
      if (notice.sessions.length > 0) markSessionsRevoked(revoked, notice.sessions, notice.at);
      if (users && notice.users.length > 0) forgetUsers(users, notice.users);
    },
    async onConnect() {
      const count = await reloadRecent(db, revoked);
      if (users) resetUserCache(users, true);
      logger.info({ recent: count }, 'listening for session revocations');
    },
    onDisconnect() {
      if (users) resetUserCache(users, false);
    },
    onError(error) {
      logger.warn({ err: error }, 'revocation listener lost its connection; reconnecting');
    },
  });
}

/** Records older than any access token's lifetime are useless; the hourly pruner removes them. */
export async function pruneRevocations(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM session_revocations WHERE revoked_at < $1', [before])).rowCount;
}
