// The database's own limit for refreshes: the SQL of one POST /refresh, run by plain client loops.
import { randomBytes, randomUUID } from 'node:crypto';
import { ROTATE_SQL } from '../src/auth/sessions.js';
import type { Db } from '../src/db/db.js';
import { timeOrderedUuid } from '../src/uuid.js';
import type { LoadSample } from './load.js';
import { BENCH_USER_AGENT, type IssuedToken } from './seed.js';

const GRACE = '10 seconds';

/** One rotation exactly as sessions.rotateSession runs it (the same statement, audit row included), minus the JWTs. */
export async function rotateBySql(db: Db, token: IssuedToken, refreshTtlSeconds: number): Promise<void> {
  const nowMs = Date.now();
  const iat = Math.floor(nowMs / 1000);
  const result = await db.query<{ outcome: string }>(
    ROTATE_SQL,
    [
      token.userId,
      token.sid,
      token.hash,
      new Date(nowMs),
      GRACE,
      timeOrderedUuid(nowMs),
      randomBytes(32).toString('hex'),
      randomUUID(),
      new Date(iat * 1000),
      new Date((iat + refreshTtlSeconds) * 1000),
      BENCH_USER_AGENT,
      token.ip,
    ],
    'rotate_refresh_token',
  );
  if (result.rows[0]?.outcome !== 'ok') throw new Error(`a pre-issued token rotated as ${result.rows[0]?.outcome}`);
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
