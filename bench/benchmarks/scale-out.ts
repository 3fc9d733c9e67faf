// 6. The authenticated JSON route with WEB_CONCURRENCY=2 against 1 (node:cluster, as src/server.ts forks).
import { availableParallelism } from 'node:os';
import { PROXY_HEADERS } from '../config.js';
import { runCase, withServer, type BenchContext, type CaseSpec } from '../context.js';
import { compare, skipped, type Comparison } from '../report.js';
import { accessCookie } from '../seed.js';

export async function scaleOut(ctx: BenchContext): Promise<Comparison[]> {
  const bench = '6 scale-out';
  const metric = 'req/s 2 workers ÷ 1';
  if (ctx.database.kind === 'pglite') {
    return [skipped(bench, metric, 'PGlite is one process’s files: two workers cannot share it (set DATABASE_URL)')];
  }
  const spec: CaseSpec = { path: '/bench/auth', headers: { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) } };
  const one = await withServer(ctx, 1, (server) => runCase(ctx, server, 'GET /bench/auth, WEB_CONCURRENCY=1', spec));
  const two = await withServer(ctx, 2, (server) => runCase(ctx, server, 'GET /bench/auth, WEB_CONCURRENCY=2 (primary + 2 workers)', spec));
  const cores = availableParallelism();
  return [compare(bench, metric, two, one, two.rps / one.rps, undefined, {
    ok: true, note: `${cores} cores shared by the workers, the cluster primary, and autocannon (one core at full load)`,
  })];
}
