// The database's own limit for refreshes: the SQL of one POST /refresh, run by plain client loops.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../src/db/db.js';
import type { LoadSample } from './load.js';
import { BENCH_USER_AGENT, type IssuedToken } from './seed.js';

// Copied from src/auth/sessions.ts (rotate, mint) and src/account/audit.ts (recordAudit);
// keep them in step, or this baseline stops measuring what the app does.
const LOCK_USER = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`;
export const FIND_TOKEN = `SELECT id, user_id, family_id, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`;
const MINT = `INSERT INTO refresh_tokens (user_id, token_hash, jti, family_id, issued_at, expires_at, user_agent, ip)
       VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($6), $7, $8) RETURNING id`;
export const SPEND_FAMILY = `UPDATE refresh_tokens SET is_valid = false, used_at = $3, replaced_by = $2
          WHERE family_id = $1 AND is_valid AND used_at IS NULL AND id <> $2`;
const AUDIT = `INSERT INTO audit_events (user_id, type, session_id, ip, user_agent, detail, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`;

/** One rotation as sessions.rotate does it (minus JWT signing), then the audit row. */
export async function rotateBySql(db: Db, token: IssuedToken, refreshTtlSeconds: number): Promise<void> {
  const at = new Date();
  const iat = Math.floor(at.getTime() / 1000);
  await db.transaction(async (tx) => {
    await tx.query(LOCK_USER, [`smriti:user:${token.userId}`]);
    const found = await tx.query(FIND_TOKEN, [token.hash]);
    if (found.rows.length !== 1) throw new Error('a pre-issued token is missing from refresh_tokens');
    const minted = await tx.query<{ id: string }>(MINT, [token.userId, randomBytes(32).toString('hex'), randomUUID(), token.sid,
      iat, iat + refreshTtlSeconds, BENCH_USER_AGENT, token.ip]);
    await tx.query(SPEND_FAMILY, [token.sid, minted.rows[0]!.id, at]);
  });
  await db.query(AUDIT, [token.userId, 'token_refreshed', token.sid, token.ip, BENCH_USER_AGENT, '{}', at]);
}

export interface TokenFeed {
  next(): IssuedToken | undefined;
  readonly left: number;
}

/** Hands out each token once; a refresh token is single-use. */
export function tokenFeed(tokens: readonly IssuedToken[]): TokenFeed {
  let index = 0;
  return {
    next: () => tokens[index++],
    get left() {
      return Math.max(0, tokens.length - index);
    },
  };
}

/** `concurrency` loops rotating tokens from `feed` for `seconds`, each waiting for its last. */
export async function loopRefreshSql(db: Db, feed: TokenFeed, concurrency: number, seconds: number, ttl: number): Promise<LoadSample> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    for (let token = feed.next(); token && performance.now() < deadline; token = feed.next()) {
      const begun = performance.now();
      const outcome = await rotateBySql(db, token, ttl).then(() => 'ok', (error: unknown) => {
        if (!statuses.error) console.error(`  SQL baseline error: ${error instanceof Error ? error.message : String(error)}`);
        return 'error';
      });
      latencies.push(performance.now() - begun);
      statuses[outcome] = (statuses[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { latencies, statuses, seconds: (performance.now() - started) / 1000 };
}
