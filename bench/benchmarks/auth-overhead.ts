// 1. What requireApiAuth costs: the same trivial JSON handler with and without it, in one process.
import { PROXY_HEADERS } from '../config.js';
import { type BenchContext, httpCase, measure, withBenchRoutes } from '../context.js';
import { type Comparison, compare } from '../report.js';
import { accessCookie } from '../seed.js';

export async function authOverhead(ctx: BenchContext): Promise<Comparison[]> {
  // Both routes get the same valid cookie, so the only difference is verifying it.
  const headers = { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) };
  return withBenchRoutes(ctx, 1, async (server) => {
    const [bare, authed] = await measure(ctx, [
      httpCase(ctx, server, 'GET /bench/noauth', { path: '/bench/noauth', headers }),
      httpCase(ctx, server, 'GET /bench/auth (valid access cookie)', { path: '/bench/auth', headers }),
    ]);
    const okAll = authed.statuses['200'] === authed.requests;
    return [
      compare(
        '1 auth overhead',
        'req/s with auth ÷ without',
        authed,
        bare,
        authed.rps / bare.rps,
        { op: '>=', value: 0.9 },
        { ok: okAll, note: okAll ? '' : 'some authenticated requests were refused' },
      ),
    ];
  });
}
