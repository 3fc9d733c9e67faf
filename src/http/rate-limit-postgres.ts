// Rate-limit counters in PostgreSQL (an express-rate-limit Store, and limits on failures that take a
// try before the check), so every app process sharing the database counts the same hits: N
// processes allow what one allows.
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { type ClientRateLimitInfo, type IncrementResponse, ipKeyGenerator, type Options, type Store } from 'express-rate-limit';
import type { Queryable } from '../db/db.js';
import { AppError } from './errors.js';
import { type Limit, retryAfterSeconds, waitPhrase } from './rate-limit.js';

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

// Takes a try only while the window has one left, in one statement: ON CONFLICT locks the row, so
// concurrent tries queue on it and a burst never passes more than `limit` (DESIGN §8). A window
// restarts when it has closed, or when nothing is counted in it (every try so far was given back).
const RESERVE_SQL = `INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES ($1, 1, $3)
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.reset_at <= $2 OR r.hits <= 0 THEN 1 ELSE r.hits + 1 END,
    reset_at = CASE WHEN r.reset_at <= $2 OR r.hits <= 0 THEN $3 ELSE r.reset_at END
  WHERE r.reset_at <= $2 OR r.hits < $4
  RETURNING hits`;

export type Reservation = { kind: 'reserved' } | { kind: 'limited'; retryAfterSeconds: number };

/** Takes one try of `limit` for `key` before a check, or answers how long until one is free. */
export async function reserveHit(db: Queryable, name: string, key: string, now: number, limit: Limit): Promise<Reservation> {
  const row = rowKey(`${name}:`, key);
  const taken = await db.query(RESERVE_SQL, [row, new Date(now), new Date(now + limit.windowSeconds * 1000), limit.limit]);
  if (taken.rowCount === 1) return { kind: 'reserved' };
  const { rows } = await db.query<{ reset_at: Date }>(`SELECT reset_at FROM rate_limits WHERE key = $1`, [row]);
  return { kind: 'limited', retryAfterSeconds: retryAfterSeconds(rows[0]?.reset_at, now) };
}

/** Gives a try back: the check passed, so it is no failure. */
export async function releaseHit(db: Queryable, name: string, key: string, now: number): Promise<void> {
  await db.query(`UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND reset_at > $2 AND hits > 0`, [
    rowKey(`${name}:`, key),
    new Date(now),
  ]);
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** The failure limits this request took a try of; a proved credential gives them back. */
    reservedTries?: Array<{ name: string; key: string }>;
  }
}

/**
 * A limit on failures from one client (DESIGN §8): each request takes a try before anything is
 * checked, and a proved credential gives it back (releaseTries), so only failures stay counted.
 * `key` is the client's address unless told otherwise.
 */
export function failureLimiter(
  ctx: { db: Queryable; now: () => number },
  limit: Limit,
  name: string,
  what: string,
  options: { key?: (req: Request) => string; onLimited?: () => void } = {},
): RequestHandler {
  return async (req, res, next) => {
    const key = options.key ? options.key(req) : ipKeyGenerator(req.ip ?? '');
    const taken = await reserveHit(ctx.db, name, key, ctx.now(), limit);
    if (taken.kind === 'limited') {
      options.onLimited?.();
      res.set('Retry-After', String(taken.retryAfterSeconds));
      throw new AppError(
        429,
        'rate_limited',
        `Too many ${what} from here. Please wait ${waitPhrase(taken.retryAfterSeconds)} and try again.`,
      );
    }
    res.locals.reservedTries = [...(res.locals.reservedTries ?? []), { name, key }];
    next();
  };
}

/** The credential was right: every failure limit this request took a try of gets it back. */
export async function releaseTries(ctx: { db: Queryable; now: () => number }, res: Response): Promise<void> {
  const tries = res.locals.reservedTries ?? [];
  res.locals.reservedTries = [];
  for (const { name, key } of tries) await releaseHit(ctx.db, name, key, ctx.now());
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
