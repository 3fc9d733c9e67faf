// 3. Signed-in page latency while 20 sign-ins (bcrypt, 12 rounds) run at once, against the same pages without them.
import { clientAddress, PROXY_HEADERS, SAME_ORIGIN_HEADERS } from '../config.js';
import { type BenchContext, type CaseSpec, httpCase, loadSpec, measure, withApp } from '../context.js';
import { startLoad, statsOf } from '../load.js';
import { type Comparison, compare, printRun } from '../report.js';
import { accessCookie, BENCH_PASSWORD, benchEmail } from '../seed.js';

const STORM_CONNECTIONS = 20;
// Readers browse at a steady pace; a fixed rate keeps the page load the same with and without the storm.
const PAGE_RATE = 100;
const PAGE_CONNECTIONS = 4;
// Lets every storm connection have a bcrypt hash in flight before the pages are measured.
const STORM_RAMP_MS = 1000;

function stormSpec(users: number): CaseSpec {
  let turn = 0;
  return {
    path: '/login',
    method: 'POST',
    connections: STORM_CONNECTIONS,
    headers: { ...SAME_ORIGIN_HEADERS, 'content-type': 'application/x-www-form-urlencoded' },
    // Each sign-in is another person (account and address), as in a real rush; the limits stay on.
    setupRequest: (request) => {
      const n = turn++ % users;
      const body = new URLSearchParams({ email: benchEmail(n + 1), password: BENCH_PASSWORD, next: '/journal' }).toString();
      return { ...request, body, headers: { ...request.headers, 'x-forwarded-for': clientAddress(n) } };
    },
  };
}

export async function signinStorm(ctx: BenchContext): Promise<Comparison[]> {
  const page: CaseSpec = {
    path: '/journal',
    headers: { ...PROXY_HEADERS, cookie: accessCookie(ctx.tokens, ctx.users[0]!) },
    connections: PAGE_CONNECTIONS,
    rate: PAGE_RATE,
  };
  return withApp(ctx, async (server) => {
    const [calm] = await measure(ctx, [httpCase(ctx, server, `GET /journal at ${PAGE_RATE}/s, no sign-ins`, page)]);
    const { seconds, warmupSeconds } = ctx.settings;
    const storm = startLoad(loadSpec(ctx, server, stormSpec(ctx.users.length)), seconds + warmupSeconds + 60);
    await new Promise((resolve) => setTimeout(resolve, STORM_RAMP_MS));
    const stormyLabel = `GET /journal at ${PAGE_RATE}/s, ${STORM_CONNECTIONS} POST /login at once`;
    const [stormy] = await measure(ctx, [httpCase(ctx, server, stormyLabel, page)]);
    storm.stop();
    const logins = { label: `POST /login ×${STORM_CONNECTIONS} concurrent (the storm)`, ...statsOf([await storm.done]) };
    printRun(logins);
    const signedIn = logins.statuses['303'] ?? 0;
    const note = signedIn === logins.requests ? '' : `only ${signedIn} of ${logins.requests} sign-ins succeeded (303)`;
    return [
      compare(
        '3 sign-in storm',
        'page p99 with storm ÷ without',
        stormy,
        calm,
        stormy.p99 / calm.p99,
        { op: '<=', value: 2 },
        { ok: note === '' && stormy.statuses['200'] === stormy.requests, note },
      ),
    ];
  });
}
