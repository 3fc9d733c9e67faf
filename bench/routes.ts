// The routes the profiler and the A/B runner load, and the cookie feed each needs.
import { join } from 'node:path';
import { seedWriter } from './benchmarks/calendar.js';
import { clientAddress, PROXY_HEADERS, SAME_ORIGIN_HEADERS } from './config.js';
import type { BenchContext } from './context.js';
import { accessCookie, issueRefreshTokens, refreshCookie } from './seed.js';
import type { BenchServer } from './server-process.js';
import { type CookieFeed, cookieFeed, type WrkSpec } from './wrk.js';

const CONNECTIONS = 16;
// Above what one process refreshes on this machine (about 2,800/s); tokens are single-use.
const REFRESHES_PER_SECOND = 3000;

export type Route = 'me' | 'refresh' | 'token' | 'journal' | 'calendar' | 'writer';
export const ROUTES: Record<Route, { path: string; benchRoutes: boolean }> = {
  me: { path: '/api/me', benchRoutes: false },
  refresh: { path: '/refresh', benchRoutes: false },
  token: { path: '/api/bench/token', benchRoutes: true },
  journal: { path: '/journal', benchRoutes: false },
  // Row 10's writer (1,100 entries over three years): last year's calendar, and /journal with its streak and timeline.
  calendar: { path: `/journal/calendar?year=${new Date().getUTCFullYear() - 1}`, benchRoutes: false },
  writer: { path: '/journal', benchRoutes: false },
};

export async function feedFor(ctx: BenchContext, route: Route, dir: string, seconds: number): Promise<CookieFeed> {
  const file = join(dir, 'feed.txt');
  if (route === 'refresh') {
    const tokens = await ctx.database.use((db) => issueRefreshTokens(db, ctx.tokens, ctx.users, seconds * REFRESHES_PER_SECOND));
    return cookieFeed(
      file,
      tokens.map((t, i) => `${refreshCookie(t)}\t${clientAddress(i)}`),
      'once',
    );
  }
  if (route === 'calendar' || route === 'writer') {
    const writer = ctx.users.at(-1)!;
    await seedWriter(ctx, writer);
    return cookieFeed(file, [accessCookie(ctx.tokens, writer)], 'cycle');
  }
  // The journal page is the 50-entry writer's; the API routes go round every user.
  const users = route === 'journal' ? ctx.users.slice(0, 1) : ctx.users;
  return cookieFeed(
    file,
    users.map((id) => accessCookie(ctx.tokens, id)),
    'cycle',
  );
}

export function isRoute(name: string | undefined): name is Route {
  return name !== undefined && Object.hasOwn(ROUTES, name);
}

/** wrk's load on `route` of `server`, each request with the next line of `feed`. */
export function routeSpec(route: Route, server: BenchServer, feed: CookieFeed): WrkSpec {
  const refresh = route === 'refresh';
  return {
    url: `${server.origin}${ROUTES[route].path}`,
    method: refresh ? 'POST' : 'GET',
    headers: refresh ? { ...SAME_ORIGIN_HEADERS } : { ...PROXY_HEADERS },
    connections: CONNECTIONS,
    feed,
  };
}
