// 2. POST /refresh with a distinct token per request, against the same SQL run straight at the database.
import type { Db } from '../../src/db/db.js';
import { SAME_ORIGIN_HEADERS } from '../config.js';
import { runCase, withServer, type BenchContext, type CaseSpec } from '../context.js';
import { count5xx, type LoadStats } from '../load.js';
import { loopRefreshSql, tokenFeed, type TokenFeed } from '../refresh-sql.js';
import { compare, printRun, type Comparison, type RunStats } from '../report.js';
import { issueRefreshTokens, refreshCookie } from '../seed.js';

// Well above what this machine sustains; tokens are single-use, so running out would spoil the run.
const MAX_REFRESHES_PER_SECOND = 4000;

/** POST /refresh, each request with the next unused token of `feed`. */
export function refreshSpec(feed: TokenFeed): CaseSpec {
  return {
    path: '/refresh',
    method: 'POST',
    headers: { ...SAME_ORIGIN_HEADERS },
    setupRequest: (request) => {
      const token = feed.next();
      // Out of tokens: sent without a cookie, so it shows up as 401 refresh_missing, never as a reuse.
      if (token) request.headers = { ...request.headers, cookie: refreshCookie(token), 'x-forwarded-for': token.ip };
      return request;
    },
  };
}

async function measureSql(ctx: BenchContext, feed: TokenFeed): Promise<RunStats> {
  const { seconds, warmupSeconds, connections } = ctx.settings;
  const ttl = ctx.config.jwt.refreshTtlSeconds;
  const db: Db = await ctx.database.open(connections);
  let stats: LoadStats;
  try {
    await loopRefreshSql(db, feed, connections, warmupSeconds, ttl);
    stats = await loopRefreshSql(db, feed, connections, seconds, ttl);
  } finally {
    await db.close();
  }
  const run: RunStats = { label: `same SQL, ${connections} pg loops (no HTTP, no JWT)`, ...stats };
  printRun(run);
  return run;
}

export async function refresh(ctx: BenchContext): Promise<Comparison[]> {
  const { seconds, warmupSeconds } = ctx.settings;
  const needed = Math.ceil((seconds + warmupSeconds) * MAX_REFRESHES_PER_SECOND);
  console.log(`  pre-issuing 2 × ${needed.toLocaleString('en-US')} refresh tokens over ${ctx.users.length} users…`);
  const [forApp, forSql] = await ctx.database.use(async (db) => [
    await issueRefreshTokens(db, ctx.tokens, ctx.users, needed),
    await issueRefreshTokens(db, ctx.tokens, ctx.users, needed),
  ]);
  const appFeed = tokenFeed(forApp);
  const app = await withServer(ctx, 1, (server) => runCase(ctx, server, 'POST /refresh (a fresh token each)', refreshSpec(appFeed)));
  const sqlFeed = tokenFeed(forSql);
  const sql = await measureSql(ctx, sqlFeed);

  const errors = count5xx(app);
  const refused = app.requests - (app.statuses['200'] ?? 0) - errors;
  const notes = [errors ? `${errors} answers were 5xx` : '', refused ? `${refused} answers were neither 200 nor 5xx` : '',
    appFeed.left === 0 || sqlFeed.left === 0 ? 'ran out of pre-issued tokens: raise MAX_REFRESHES_PER_SECOND' : ''].filter(Boolean);
  return [compare('2 refresh', 'req/s app ÷ SQL alone', app, sql, app.rps / sql.rps, { op: '>=', value: 0.5 },
    { ok: errors === 0, note: notes.join('; ') })];
}
