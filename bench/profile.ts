// `npm run bench:profile -- <me|refresh|token|journal|calendar|writer> [seconds]`: the production app under wrk load on
// one route with `node --cpu-prof`, then the profile summed per function (self time) and per place
// (src/, each package, Node itself, GC), in µs per answered request.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dotenv from 'dotenv';
import { createBenchDatabase } from './database.js';
import { feedFor, isRoute, ROUTES, routeSpec } from './routes.js';
import { startServer } from './server-process.js';
import { setUpContext } from './setup.js';
import { runWrk, wrkMissing } from './wrk.js';

const TOP = Number(process.env.BENCH_PROFILE_TOP) || 30;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: this app's file, a package, or Node and V8 themselves. */
function placeOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(src|bench)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.+)$/.exec(url)?.[1];
  if (pkg) return pkg;
  return /\/((?:src|bench)\/.+)$/.exec(url)?.[1] ?? url;
}

/** Microseconds on the monotonic clock, which V8's profiler stamps its samples with too. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Self time per function and per place over the samples taken within [from, to] (µs, monotonic). */
function summarise(profile: CpuProfile, from: number, to: number) {
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (at < from || at > to) return;
    {
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
      if (functionName === '(idle)') return;
      total += us;
      const key = `${functionName || '(anonymous)'}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const place = placeOf(url, functionName);
      byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    }
  });
  return { byFunction, byPlace, total };
}

function printTable(title: string, entries: Map<string, number>, total: number, answered: number, limit: number): void {
  console.log(`\n${title}`);
  console.log(`  ${'self %'.padStart(6)}  ${'µs/req'.padStart(7)}  where`);
  const sorted = [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit);
  for (const [key, us] of sorted) {
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(6)}  ${(us / answered).toFixed(1).padStart(7)}  ${key}`);
  }
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const route = process.argv[2] ?? 'me';
  if (!isRoute(route)) throw new Error(`route must be one of ${Object.keys(ROUTES).join(', ')}`);
  const seconds = Number(process.argv[3] ?? 10);
  const missing = wrkMissing();
  if (missing) throw new Error(missing);
  const database = await createBenchDatabase(process.env.DATABASE_URL || undefined);
  const dir = mkdtempSync(join(tmpdir(), 'smriti-profile-'));
  try {
    const settings = { seconds, warmupSeconds: 2, connections: 16 };
    const ctx = await setUpContext(settings, database, () => true);
    const feed = await feedFor(ctx, route, dir, seconds + 2);
    const server = await startServer(ctx.env, { workers: 1, benchRoutes: ROUTES[route].benchRoutes, cpuProfDir: dir });
    const spec = routeSpec(route, server, feed);
    const okOf = (statuses: Record<string, number>) => Object.entries(statuses).reduce((n, [s, c]) => n + (s.startsWith('2') ? c : 0), 0);
    // Start-up and the warm-up (module loading, the JIT's first passes) are left out of the summary.
    await runWrk(spec, 2);
    const from = monotonicUs();
    const sample = await runWrk(spec, seconds);
    const to = monotonicUs();
    await server.stop();
    const ok = okOf(sample.statuses);
    console.log(
      `${ROUTES[route].path}: ${Math.round(ok / sample.seconds)} 2xx/s over ${sample.seconds.toFixed(1)} s, statuses ${JSON.stringify(sample.statuses)}`,
    );
    // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread, where JavaScript runs.
    const main = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    if (!main) throw new Error('the server wrote no CPU profile of its main thread');
    const profile = JSON.parse(readFileSync(join(dir, main), 'utf8')) as CpuProfile;
    const { byFunction, byPlace, total } = summarise(profile, from, to);
    if (total === 0) throw new Error('no profile samples fell within the measured run (clock mismatch?)');
    const answered = ok;
    const wall = (to - from) / 1e6;
    console.log(
      `main thread busy ${(total / 1e6).toFixed(2)} s of ${wall.toFixed(2)} s (${((100 * total) / 1e6 / wall).toFixed(0)}%), ` +
        `${(total / answered).toFixed(0)} µs of it per 2xx answer (idle left out)`,
    );
    printTable('by place (self time)', byPlace, total, answered, 20);
    printTable(`top ${TOP} functions (self time)`, byFunction, total, answered, TOP);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

await main();
