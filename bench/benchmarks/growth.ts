// 4. Refresh and page latency with 10,000 and with 1,000,000 rows in refresh_tokens; plans of the auth queries.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/db.js';
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, httpCase, measure, withApp } from '../context.js';
import { tokenFeed } from '../refresh-sql.js';
import { type Comparison, compare, type RunStats } from '../report.js';
import { accessCookie, addFillerTokens, countRows, type IssuedToken, issueRefreshTokens } from '../seed.js';
import { refreshSpec } from './refresh.js';

const SMALL = 10_000;
const LARGE = 1_000_000;
// p50 is the service time, not a queue: a steady 200/s over 2 connections, which also keeps the
// single-use tokens needed well under the 10,000 rows of the small table.
const RATE = 200;
const CONNECTIONS = 2;
const USER_BY_ID = `SELECT id, email, password_hash AS "passwordHash", created_at AS "createdAt",
  password_changed_at AS "passwordChangedAt" FROM users WHERE id = $1`;

async function explain(db: Db, name: string, sql: string, params: unknown[]): Promise<string> {
  const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n      ');
  const indexed = /Index|Bitmap/.test(plan) && !/Seq Scan/.test(plan);
  console.log(`    ${name}: ${indexed ? 'index scan' : 'NO INDEX SCAN'}\n      ${plan}`);
  return indexed ? '' : `${name} does not use an index`;
}

// The statements inside rotate_refresh_token() and end_sessions() (migrations 006 and 007), which
// EXPLAIN cannot see through a function call, and the other queries on refresh_tokens.
const QUERIES_ON_REFRESH_TOKENS: [string, string, (token: IssuedToken) => unknown[]][] = [
  [
    'find the presented token',
    'SELECT family_id, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2 FOR UPDATE',
    (t) => [t.hash, t.userId],
  ],
  [
    'spend the family',
    `UPDATE refresh_tokens SET is_valid = false, used_at = now(), replaced_by = $3
      WHERE user_id = $1 AND family_id = $2 AND is_valid AND used_at IS NULL`,
    (t) => [t.userId, t.sid, randomUUID()],
  ],
  [
    'end sessions',
    `UPDATE refresh_tokens SET is_valid = false, revoked_at = now(), revoked_reason = 'logout'
      WHERE user_id = $1 AND revoked_at IS NULL AND family_id = $2`,
    (t) => [t.userId, t.sid],
  ],
  [
    'list sessions',
    `SELECT family_id, min(issued_at) FROM refresh_tokens WHERE user_id = $1 GROUP BY family_id
     HAVING bool_or(is_valid AND expires_at > now()) AND bool_and(revoked_at IS NULL)`,
    (t) => [t.userId],
  ],
  ['prune', 'DELETE FROM refresh_tokens WHERE expires_at < $1', () => [new Date(Date.now() - 86_400_000)]],
  ['user lookup', USER_BY_ID, (t) => [t.userId]],
];

async function explainAuthQueries(db: Db, token: IssuedToken): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, sql, params] of QUERIES_ON_REFRESH_TOKENS) problems.push(await explain(db, name, sql, params(token)));
  return problems.filter(Boolean);
}

/** Fills refresh_tokens to exactly `rows` (live tokens for the run included) and explains the queries. */
async function fillTo(ctx: BenchContext, db: Db, rows: number, needed: number): Promise<{ issued: IssuedToken[]; problems: string[] }> {
  const filler = rows - needed - (await countRows(db, 'refresh_tokens'));
  if (filler < 0) throw new Error(`refresh_tokens already holds more than ${rows - needed} rows`);
  const started = performance.now();
  await addFillerTokens(db, filler);
  const issued = await issueRefreshTokens(db, ctx.tokens, ctx.users, needed);
  await db.exec('VACUUM ANALYZE refresh_tokens');
  await db.exec('ANALYZE users');
  const total = (await countRows(db, 'refresh_tokens')).toLocaleString('en-US');
  console.log(`  refresh_tokens: ${total} rows (${((performance.now() - started) / 1000).toFixed(1)} s to fill); EXPLAIN:`);
  return { issued, problems: await explainAuthQueries(db, issued[0]!) };
}

async function measureAt(ctx: BenchContext, rows: number): Promise<{ refresh: RunStats; page: RunStats; problems: string[] }> {
  const needed = Math.ceil((ctx.settings.seconds + ctx.settings.warmupSeconds) * RATE * 1.25) + CONNECTIONS;
  const { issued, problems } = await ctx.database.use((db) => fillTo(ctx, db, rows, needed));
  const label = `${rows.toLocaleString('en-US')} rows`;
  const steady = { rate: RATE, connections: CONNECTIONS };
  const pageHeaders = { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) };
  return withApp(ctx, async (server) => {
    const feed = tokenFeed(issued);
    const [refresh] = await measure(ctx, [httpCase(ctx, server, `POST /refresh, ${label}`, { ...refreshSpec(feed), ...steady })]);
    const [page] = await measure(ctx, [
      httpCase(ctx, server, `GET /journal, ${label}`, { path: '/journal', headers: pageHeaders, ...steady }),
    ]);
    if (feed.left === 0) problems.push('ran out of pre-issued tokens');
    return { refresh, page, problems };
  });
}

function allOk(run: RunStats): boolean {
  return run.statuses['200'] === run.requests;
}

export async function growth(ctx: BenchContext): Promise<Comparison[]> {
  await ctx.database.use((db) => db.exec('TRUNCATE refresh_tokens, audit_events'));
  const small = await measureAt(ctx, SMALL);
  const large = await measureAt(ctx, LARGE);
  const problems = [...new Set([...small.problems, ...large.problems])];
  const check = (a: RunStats, b: RunStats) => ({ ok: problems.length === 0 && allOk(a) && allOk(b), note: problems.join('; ') });
  return [
    compare(
      '4 growth: refresh',
      'p50 at 1M rows ÷ at 10k',
      large.refresh,
      small.refresh,
      large.refresh.p50 / small.refresh.p50,
      { op: '<=', value: 1.2 },
      check(large.refresh, small.refresh),
    ),
    compare(
      '4 growth: page',
      'p50 at 1M rows ÷ at 10k',
      large.page,
      small.page,
      large.page.p50 / small.page.p50,
      { op: '<=', value: 1.2 },
      check(large.page, small.page),
    ),
  ];
}
