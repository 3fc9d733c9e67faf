// 2. POST /refresh with a distinct token per request, against the same SQL run straight at the database.
import type { Db } from '../../src/db/db.js';
import { SAME_ORIGIN_HEADERS } from '../config.js';
import { type BenchContext, type Case, type CaseSpec, httpCase, measure, withApp } from '../context.js';
import { count5xx } from '../load.js';
import { loopRefreshSql, type TokenFeed, tokenFeed } from '../refresh-sql.js';
import { type Comparison, compare, type RunStats } from '../report.js';
import { issueRefreshTokens, refreshCookie } from '../seed.js';
import type { BenchServer } from '../server-process.js';

// Well above what this machine sustains (the SQL alone does ~10,000/s); tokens are single-use, so
// running out would spoil the run.
const MAX_REFRESHES_PER_SECOND = 14_000;

/** POST /refresh, each request with the next unused token of `feed`, from its owner's address. */
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

function sqlCase(ctx: BenchContext, db: Db, feed: TokenFeed): Case {
  const { connections } = ctx.settings;
  const loops = `${connections} ${ctx.database.kind === 'postgres' ? 'pg client' : 'PGlite'} loops`;
  // No server here: the CPU shown is the loops' own process.
  return {
    label: `same SQL, ${loops} (no HTTP, no JWT)`,
    run: (seconds) => loopRefreshSql(db, feed, connections, seconds, ctx.config.jwt.refreshTtlSeconds),
    pids: [process.pid],
    server: false,
  };
}

async function withPool<T>(ctx: BenchContext, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await ctx.database.open(ctx.settings.connections); // as many connections as the app's pool
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function measureBoth(ctx: BenchContext, appFeed: TokenFeed, sqlFeed: TokenFeed): Promise<[RunStats, RunStats]> {
  const app = (server: BenchServer) => httpCase(ctx, server, 'POST /refresh (a fresh token each)', refreshSpec(appFeed));
  if (ctx.database.kind === 'postgres') {
    return withApp(ctx, (server) => withPool(ctx, (db) => measure(ctx, [app(server), sqlCase(ctx, db, sqlFeed)])));
  }
  // PGlite's files belong to one process at a time: the server's turn, then the loops'.
  const [appRun] = await withApp(ctx, (server) => measure(ctx, [app(server)]));
  const [sqlRun] = await withPool(ctx, (db) => measure(ctx, [sqlCase(ctx, db, sqlFeed)]));
  return [appRun, sqlRun];
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
  const sqlFeed = tokenFeed(forSql);
  const [app, sql] = await measureBoth(ctx, appFeed, sqlFeed);

  const errors = count5xx(app);
  const refused = app.requests - (app.statuses['200'] ?? 0) - errors;
  const notes = [
    errors ? `${errors} answers were 5xx` : '',
    refused ? `${refused} answers were neither 200 nor 5xx` : '',
    appFeed.left === 0 || sqlFeed.left === 0 ? 'ran out of pre-issued tokens: raise MAX_REFRESHES_PER_SECOND' : '',
  ].filter(Boolean);
  return [
    compare(
      '2 refresh',
      'req/s app ÷ SQL alone',
      app,
      sql,
      app.rps / sql.rps,
      { op: '>=', value: 0.5 },
      { ok: errors === 0, note: notes.join('; ') },
    ),
  ];
}
