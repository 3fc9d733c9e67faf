// Users' rows held in this process's memory, so showing who is signed in reads no database. Only a
// process that hears changes keeps one: a trigger announces every change to a user row on the
// revocation channel (migrations/035), and listenForRevocations drops the row here when it hears of
// it. While that connection is down the cache is not used at all, so it never serves a row that
// may have changed unheard.
import type { Queryable } from '../db/db.js';
import { findUserById, type User } from './users.js';

const MAX_USERS = 10_000;
// A safety net, not the mechanism: rows are dropped the moment a change is heard.
const MAX_AGE_MS = 5 * 60 * 1000;

export interface UserCache {
  readonly rows: Map<string, { user: User; at: number }>;
  readonly now: () => number;
  /** Moves on with every change heard, so a read that raced a change is not kept. */
  generation: number;
  /** Whether changes are being heard right now. */
  live: boolean;
}

export function createUserCache(now: () => number): UserCache {
  return { rows: new Map(), now, generation: 0, live: false };
}

/** These users' rows changed: the next read goes to the database. */
export function forgetUsers(cache: UserCache, ids: readonly string[]): void {
  cache.generation += 1;
  for (const id of ids) cache.rows.delete(id);
}

/** Changes are heard again (`live`), or no longer: either way nothing held so far can be trusted. */
export function resetUserCache(cache: UserCache, live: boolean): void {
  cache.generation += 1;
  cache.rows.clear();
  cache.live = live;
}

/** The user's row, from the cache when it holds a current one, else from the database (and then kept). */
export async function cachedUser(cache: UserCache | undefined, db: Queryable, id: string): Promise<User | undefined> {
  if (!cache?.live) return findUserById(db, id);
  const now = cache.now();
  const held = cache.rows.get(id);
  if (held && now - held.at < MAX_AGE_MS) return held.user;
  const generation = cache.generation;
  const user = await findUserById(db, id);
  // A change heard while the row was being read may be newer than what was read.
  if (user && cache.live && generation === cache.generation) {
    if (cache.rows.size >= MAX_USERS) cache.rows.delete(cache.rows.keys().next().value!);
    cache.rows.set(id, { user: Object.freeze(user), at: now });
  }
  return user;
}
