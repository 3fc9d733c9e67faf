// Rows the benchmarks need, written straight to the tables in bulk: users, entries, refresh tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../src/auth/cookies.js';
import { hashToken } from '../src/auth/sessions.js';
import { signToken, type TokenClaims, type TokenKeys } from '../src/auth/tokens.js';
import type { Queryable } from '../src/db/db.js';
import { clientAddress } from './config.js';

export const BENCH_PASSWORD = 'bench password, not secret';
export const BENCH_USER_AGENT = 'smriti-bench';
export const BENCH_IP = '127.0.0.1';
const BATCH = 5000;

export function benchEmail(n: number): string {
  return `bench-${n}@example.com`;
}

/** `count` users bench-1@… to bench-<count>@…, all with `passwordHash`; ids in that order. */
export async function createUsers(db: Queryable, count: number, passwordHash: string): Promise<string[]> {
  const result = await db.query<{ id: string; n: number }>(
    `INSERT INTO users (email, password_hash)
     SELECT 'bench-' || g || '@example.com', $1 FROM generate_series(1, $2::int) g
     RETURNING id, substring(email from 'bench-(\\d+)@')::int AS n`,
    [passwordHash, count],
  );
  return result.rows.sort((a, b) => a.n - b.n).map((row) => row.id);
}

export async function addEntries(db: Queryable, userId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO entries (user_id, title, body, created_at, updated_at)
     SELECT $1, 'Day ' || g, repeat('Today I wrote a few lines about the weather and the walk home. ', 8),
            now() - g * interval '1 day', now() - g * interval '1 day'
       FROM generate_series(1, $2::int) g`,
    [userId, count],
  );
}

export interface IssuedToken {
  jwt: string;
  hash: string;
  userId: string;
  sid: string;
  /** The owner's client address (X-Forwarded-For). */
  ip: string;
}

function signTokens(tokens: TokenKeys, userIds: readonly string[], count: number): (IssuedToken & { claims: TokenClaims })[] {
  return Array.from({ length: count }, (_, i) => {
    const userId = userIds[i % userIds.length]!;
    const signed = signToken(tokens, 'refresh', { sub: userId, sid: randomUUID() }, Date.now());
    const ip = clientAddress(i % userIds.length);
    return { jwt: signed.token, hash: hashToken(signed.token), userId, sid: signed.claims.sid, ip, claims: signed.claims };
  });
}

async function insertTokens(db: Queryable, batch: (IssuedToken & { claims: TokenClaims })[]): Promise<void> {
  const claims = batch.map((t) => t.claims);
  await db.query(
    `INSERT INTO refresh_tokens (user_id, token_hash, jti, family_id, issued_at, expires_at, user_agent, ip)
     SELECT u, h, j, f, to_timestamp(i), to_timestamp(e), $8, a
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::bigint[], $6::bigint[], $7::text[]) AS t(u, h, j, f, i, e, a)`,
    [
      batch.map((t) => t.userId),
      batch.map((t) => t.hash),
      claims.map((c) => c.jti),
      batch.map((t) => t.sid),
      claims.map((c) => c.iat),
      claims.map((c) => c.exp),
      batch.map((t) => t.ip),
      BENCH_USER_AGENT,
    ],
  );
}

/**
 * Live refresh tokens, each the first of its own session (as right after sign-in), spread over
 * the users so the per-user advisory lock is not one queue. Stored exactly as sessions.ts stores them.
 */
export async function issueRefreshTokens(
  db: Queryable,
  tokens: TokenKeys,
  userIds: readonly string[],
  count: number,
): Promise<IssuedToken[]> {
  const issued = signTokens(tokens, userIds, count);
  for (let i = 0; i < issued.length; i += BATCH) await insertTokens(db, issued.slice(i, i + BATCH));
  return issued.map(({ claims: _claims, ...token }) => token);
}

/**
 * Old rows as a busy site accumulates them: families of ten rotations, nine spent and one live,
 * over every user. Inserted in slices so progress can be shown.
 */
export async function addFillerTokens(db: Queryable, count: number, progress?: (done: number) => void): Promise<void> {
  const salt = randomBytes(8).toString('hex');
  const slice = 100_000;
  for (let from = 1; from <= count; from += slice) {
    const to = Math.min(count, from + slice - 1);
    await db.query(
      `WITH u AS (SELECT array_agg(id) AS ids, count(*)::int AS n FROM users)
       INSERT INTO refresh_tokens (user_id, token_hash, jti, family_id, issued_at, expires_at, is_valid, used_at, user_agent, ip)
       SELECT u.ids[1 + (g / 10) % u.n], encode(sha256(($1::text || g)::bytea), 'hex'), gen_random_uuid(), md5($1::text || (g / 10))::uuid,
              now() - interval '1 day', now() + interval '13 days', g % 10 = 9,
              CASE WHEN g % 10 = 9 THEN NULL ELSE now() - interval '1 hour' END, $2, $3
         FROM generate_series($4::int, $5::int) g, u`,
      [salt, BENCH_USER_AGENT, BENCH_IP, from, to],
    );
    progress?.(to);
  }
}

export async function countRows(db: Queryable, table: 'refresh_tokens' | 'audit_events'): Promise<number> {
  const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(result.rows[0]!.n);
}

/** A Cookie header holding a fresh access token for the user (of session `sid`, else a new one). */
export function accessCookie(tokens: TokenKeys, userId: string, sid: string = randomUUID()): string {
  return `${ACCESS_COOKIE}=${signToken(tokens, 'access', { sub: userId, sid }, Date.now()).token}`;
}

export function refreshCookie(token: IssuedToken): string {
  return `${REFRESH_COOKIE}=${token.jwt}`;
}

/** What a signed-in browser sends to every page: both cookies (they share Path=/), of one session. */
export function browserCookies(tokens: TokenKeys, token: IssuedToken): string {
  return `${accessCookie(tokens, token.userId, token.sid)}; ${refreshCookie(token)}`;
}
