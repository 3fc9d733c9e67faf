// 5. The journal page of a writer with 50 entries (production view cache on) against GET /healthz.
import { PROXY_HEADERS } from '../config.js';
import { runCase, withServer, type BenchContext } from '../context.js';
import { compare, type Comparison } from '../report.js';
import { accessCookie } from '../seed.js';

export async function pages(ctx: BenchContext): Promise<Comparison[]> {
  return withServer(ctx, 1, async (server) => {
    const health = await runCase(ctx, server, 'GET /healthz', { path: '/healthz', headers: { ...PROXY_HEADERS } });
    const journal = await runCase(ctx, server, 'GET /journal (50 entries, signed in)', {
      path: '/journal',
      headers: { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) },
    });
    const ok = journal.statuses['200'] === journal.requests;
    return [compare('5 pages', 'req/s /journal ÷ /healthz', journal, health, journal.rps / health.rps, undefined,
      { ok, note: ok ? '' : 'some page requests did not answer 200' })];
  });
}
