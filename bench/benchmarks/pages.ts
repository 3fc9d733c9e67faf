// 5. The journal page of a writer with 50 entries (production view cache on) against GET /healthz.
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, httpCase, measure, withApp } from '../context.js';
import { type Comparison, compare } from '../report.js';
import { accessCookie } from '../seed.js';

export async function pages(ctx: BenchContext): Promise<Comparison[]> {
  const journalHeaders = { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) };
  return withApp(ctx, async (server) => {
    const [health, journal] = await measure(ctx, [
      httpCase(ctx, server, 'GET /healthz', { path: '/healthz', headers: { ...PROXY_HEADERS } }),
      httpCase(ctx, server, 'GET /journal (50 entries, signed in)', { path: '/journal', headers: journalHeaders }),
    ]);
    const ok = journal.statuses['200'] === journal.requests;
    return [
      compare('5 pages', 'req/s /journal ÷ /healthz', journal, health, journal.rps / health.rps, undefined, {
        ok,
        note: ok ? '' : 'some page requests did not answer 200',
      }),
    ];
  });
}
