// Rate-limit counters in PostgreSQL (an express-rate-limit Store), so every app process sharing the
// database counts the same hits: N processes allow what one allows.
import { createHash } from 'node:crypto';
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { Queryable } from '../db/db.js';

interface CounterRow {
  hits: number;
  reset_at: Date;
}

// One statement, one round trip: start a window, count into the current one, or start the next.
const INCREMENT_SQL = `INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES ($1, 1, $3)
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.reset_at <= $2 THEN 1 ELSE r.hits + 1 END,
    reset_at = CASE WHEN r.reset_at <= $2 THEN $3 ELSE r.reset_at END
  RETURNING hits, reset_at`;

function rowKey(prefix: string, key: string): string {
  return prefix + createHash('sha256').update(key).digest('base64url');
}

/**
 * Counts one hit for `key` in the limit `name` (the same counter as `new PostgresStore(db, now, name)`),
 * for checks made outside express-rate-limit, such as a current password on the account page.
 */
export async function countHit(db: Queryable, name: string, key: string, now: number, windowMs: number): Promise<IncrementResponse> {
  const prefix = name.endsWith(':') ? name : `${name}:`;
  const { rows } = await db.query<CounterRow>(INCREMENT_SQL, [rowKey(prefix, key), new Date(now), new Date(now + windowMs)]);
  return { totalHits: rows[0]!.hits, resetTime: rows[0]!.reset_at };
}

/**
 * A fixed window per key, on the app's injected clock (tests move it to reset a window). Keys are
 * stored as a digest: an email key is whatever the request body said, of any length, and an IP or
 * address does not need to sit in one more table in readable form.
 */
export class PostgresStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private windowMs = 60_000;

  /** `name` tells this limit's counters from the others' in the one table. */
  constructor(
    private readonly db: Queryable,
    private readonly now: () => number,
    name: string,
  ) {
    this.prefix = `${name}:`;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private rowKey(key: string): string {
    return rowKey(this.prefix, key);
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const { rows } = await this.db.query<CounterRow>(`SELECT hits, reset_at FROM rate_limits WHERE key = $1 AND reset_at > $2`, [
      this.rowKey(key),
      new Date(this.now()),
    ]);
    return rows[0] && { totalHits: rows[0].hits, resetTime: rows[0].reset_at };
  }

  increment(key: string): Promise<IncrementResponse> {
    return countHit(this.db, this.prefix, key, this.now(), this.windowMs);
  }

  async decrement(key: string): Promise<void> {
    await this.db.query(`UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND reset_at > $2 AND hits > 0`, [
      this.rowKey(key),
      new Date(this.now()),
    ]);
  }

  async resetKey(key: string): Promise<void> {
    await this.db.query(`DELETE FROM rate_limits WHERE key = $1`, [this.rowKey(key)]);
  }
}

/** Counters whose window has closed are only restarted in place; the hourly pruner removes them. */
export async function pruneRateLimits(db: Queryable, now: Date): Promise<number> {
  return (await db.query(`DELETE FROM rate_limits WHERE reset_at <= $1`, [now])).rowCount;
}
