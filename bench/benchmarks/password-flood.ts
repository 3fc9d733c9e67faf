// 9. Another user's sign-in while one session sends 60 wrong current passwords at once, every second,
// against the same sign-ins on a quiet server (the security review's 0.22 s → 11.7 s).
import { clientAddress, SAME_ORIGIN_HEADERS } from '../config.js';
import { type BenchContext, withApp } from '../context.js';
import { type LoadSample, statsOf } from '../load.js';
import { type Comparison, compare, printRun, type RunStats } from '../report.js';
import { accessCookie, BENCH_PASSWORD, benchEmail } from '../seed.js';
import type { BenchServer } from '../server-process.js';

const FLOOD_AT_ONCE = 60;
const SIGN_INS = 15;
const WAVE_MS = 1000;
const FORM = { ...SAME_ORIGIN_HEADERS, 'content-type': 'application/x-www-form-urlencoded' };

async function post(url: string, headers: Record<string, string>, body: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(body), redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

/** Sign-ins one after another, each by another person (account and address), timed one by one. */
async function signIns(server: BenchServer, label: string, firstUser: number): Promise<RunStats> {
  const sample: LoadSample = { latencies: [], statuses: {}, seconds: 0 };
  const started = performance.now();
  for (let i = 0; i < SIGN_INS; i += 1) {
    const n = firstUser + i;
    const at = performance.now();
    const status = await post(
      `${server.origin}/login`,
      { ...FORM, 'x-forwarded-for': clientAddress(n) },
      { email: benchEmail(n), password: BENCH_PASSWORD },
    );
    sample.latencies.push(performance.now() - at);
    sample.statuses[status] = (sample.statuses[status] ?? 0) + 1;
  }
  sample.seconds = (performance.now() - started) / 1000;
  const run = { label, ...statsOf([sample]) };
  printRun(run);
  return run;
}

/** Waves of wrong current passwords from one signed-in session until stopped; counts the answers. */
function flood(ctx: BenchContext, server: BenchServer, userId: string, n: number) {
  const headers = { ...FORM, cookie: accessCookie(ctx.tokens, userId), 'x-forwarded-for': clientAddress(n) };
  const statuses: Record<string, number> = {};
  let stopped = false;
  const done = (async () => {
    for (let wave = 0; !stopped; wave += 1) {
      const waveStarted = performance.now();
      const answers = await Promise.all(
        Array.from({ length: FLOOD_AT_ONCE }, (_, i) =>
          post(`${server.origin}/account/delete`, headers, { current_password: `guess ${wave}.${i}` }),
        ),
      );
      for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
      // A wave a second: the review's 60 guesses at once, again and again, not a bare request flood.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, WAVE_MS - (performance.now() - waveStarted))));
    }
  })();
  const stop = () => {
    stopped = true;
    return done;
  };
  return { statuses, stop };
}

export async function passwordFlood(ctx: BenchContext): Promise<Comparison[]> {
  return withApp(ctx, async (server) => {
    // People far from the other benchmarks' users, so no limit of theirs is touched.
    const flooder = ctx.users.length - 1;
    const quiet = await signIns(server, `POST /login ×${SIGN_INS}, one at a time, quiet`, ctx.users.length - 3 * SIGN_INS - 1);
    const running = flood(ctx, server, ctx.users[flooder]!, flooder + 1);
    const stormy = await signIns(
      server,
      `the same while one session sends ${FLOOD_AT_ONCE} wrong passwords at once`,
      ctx.users.length - 2 * SIGN_INS - 1,
    );
    await running.stop();
    console.log(`  the flood's answers: ${JSON.stringify(running.statuses)}`);
    const ok = quiet.statuses['303'] === SIGN_INS && stormy.statuses['303'] === SIGN_INS;
    return [
      compare(
        '9 password flood',
        'sign-in p50 during the flood ÷ quiet',
        stormy,
        quiet,
        stormy.p50 / quiet.p50,
        { op: '<=', value: 3 },
        {
          ok,
          note: ok ? '' : 'not every sign-in succeeded (303)',
        },
      ),
    ];
  });
}
