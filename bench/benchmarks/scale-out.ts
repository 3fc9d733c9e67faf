// 6. The authenticated JSON route with WEB_CONCURRENCY=2 against 1 (node:cluster, as src/server.ts forks).
import { availableParallelism } from 'node:os';
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, type CaseSpec, httpCase, measure, withBenchRoutes } from '../context.js';
import { type Comparison, compare } from '../report.js';
import { accessCookie } from '../seed.js';

export async function scaleOut(ctx: BenchContext): Promise<Comparison[]> {
  const bench = '6 scale-out';
  const metric = 'req/s 2 workers ÷ 1';
  const spec: CaseSpec = { path: '/bench/auth', headers: { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) } };
  // Both servers stay up and take turns under load; an idle server costs nothing.
  const [one, two] = await withBenchRoutes(ctx, 1, (single) =>
    withBenchRoutes(ctx, 2, (clustered) =>
      measure(ctx, [
        httpCase(ctx, single, 'GET /bench/auth, WEB_CONCURRENCY=1', spec),
        httpCase(ctx, clustered, 'GET /bench/auth, WEB_CONCURRENCY=2 (primary + 2 workers)', spec),
      ]),
    ),
  );
  const note =
    `${availableParallelism()} cores shared by the workers, the cluster primary and autocannon` +
    ` (${two.loadCpuPercent ?? 0}% of a core)`;
  return [compare(bench, metric, two, one, two.rps / one.rps, undefined, { ok: true, note })];
}
