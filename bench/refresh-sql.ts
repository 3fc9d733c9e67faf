// The database's own limit for refreshes: the SQL of one POST /refresh, run by plain client loops.
import { randomBytes, randomUUID } from 'node:crypto';
import { ROTATION_SQL } from '../src/auth/sessions.js';
import type { Db } from '../src/db/db.js';
import type { LoadSample } from './load.js';
import { BENCH_USER_AGENT, type IssuedToken } from './seed.js';

// The rotation runs the very statements of src/auth/sessions.ts (ROTATION_SQL); only the audit
// insert is written out here, as src/audit.ts words it.
const AUDIT = `INSERT INTO audit_events (user_id, type, session_id, ip, user_agent, detail, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`;

/** One rotation as sessions.rotate does it (minus JWT signing), audit row included, in one transaction. */
export async function rotateBySql(db: Db, token: IssuedToken, refreshTtlSeconds: number): Promise<void> {
  const at = new Date();
  const iat = Math.floor(at.getTime() / 1000);
  await db.transaction(async (tx) => {
    const found = await tx.query(ROTATION_SQL.lockUserAndFind, [token.hash, `smriti:user:${token.userId}`]);
    if (found.rows.length !== 1) throw new Error('a pre-issued token is missing from refresh_tokens');
    await tx.query(ROTATION_SQL.spendFamilyAndMint, [
      randomUUID(),
      token.userId,
      randomBytes(32).toString('hex'),
      randomUUID(),
      token.sid,
      iat,
      iat + refreshTtlSeconds,
      BENCH_USER_AGENT,
      token.ip,
      at,
    ]);
    await tx.query(AUDIT, [token.userId, 'token_refreshed', token.sid, token.ip, BENCH_USER_AGENT, '{}', at]);
  });
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
      const outcome = await rotateBySql(db, token, ttl).then(
        () => 'ok',
        (error: unknown) => {
          if (!statuses.error) console.error(`  SQL baseline error: ${error instanceof Error ? error.message : String(error)}`);
          return 'error';
        },
      );
      latencies.push(performance.now() - begun);
      statuses[outcome] = (statuses[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { latencies, statuses, seconds: (performance.now() - started) / 1000 };
}
