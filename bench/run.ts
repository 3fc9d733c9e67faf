// `npm run bench`: the benchmarks of the production app, then one summary table, also written as JSON.
import { availableParallelism, cpus } from 'node:os';
import { relative } from 'node:path';
import dotenv from 'dotenv';
import { authOverhead } from './benchmarks/auth-overhead.js';
import { calendar } from './benchmarks/calendar.js';
import { memory, startTime } from './benchmarks/footprint.js';
import { growth } from './benchmarks/growth.js';
import { pages } from './benchmarks/pages.js';
import { passwordFlood } from './benchmarks/password-flood.js';
import { PEER_ROWS, peers } from './benchmarks/peers.js';
import { photos } from './benchmarks/photos.js';
import { refresh } from './benchmarks/refresh.js';
import { scaleOut } from './benchmarks/scale-out.js';
import { search } from './benchmarks/search.js';
import { signinStorm } from './benchmarks/signin-storm.js';
import { benchSettings } from './config.js';
import type { BenchContext } from './context.js';
import { type BenchDatabase, createBenchDatabase } from './database.js';
import { machineBusy } from './meter.js';
import { type Comparison, printSummary, writeResults } from './report.js';
import { killServers } from './server-process.js';
import { setUpContext } from './setup.js';

// Busier than this before the first run means something else is using the CPUs.
const BUSY_SHARE = 0.15;

const BENCHMARKS: [string, (ctx: BenchContext) => Promise<Comparison[]>][] = [
  ['1 auth overhead', authOverhead],
  ['2 refresh', refresh],
  ['3 sign-in storm', signinStorm],
  ['4 growth', growth],
  ['5 pages', pages],
  ['6 scale-out', scaleOut],
  ['7 peers', peers],
  ['8 search', search],
  ['9 password flood', passwordFlood],
  ['10 calendar', calendar],
  ['11 photos', photos],
  ['12 memory', memory],
  ['13 start', startTime],
];

function describeMachine(ctx: BenchContext, busyBefore: number): void {
  const { seconds, warmupSeconds, connections } = ctx.settings;
  console.log(`Smriti benchmarks — Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? 'CPU'}`);
  console.log(`database: ${ctx.database.description}`);
  console.log(`server: NODE_ENV=production, BCRYPT_ROUNDS=12, COOKIE_SECURE=true, TRUST_PROXY=loopback, on 127.0.0.1`);
  console.log(`runs: ${warmupSeconds} s warm-up + ${seconds} s measured, ${connections} connections unless stated`);
  // Every number here is relative to a baseline measured on the same cores; other work skews both unevenly.
  if (busyBefore > BUSY_SHARE) {
    console.log(
      `WARNING: the CPUs were ${(busyBefore * 100).toFixed(0)}% busy before the bench started; other processes will skew these results`,
    );
  }
}

/**
 * `--only=1,4` (or BENCH_ONLY=1,4) runs benchmarks 1 and 4; `peers` (or `7`) every peer row, `7b`
 * one of them; unset runs all.
 */
function selection(argv: readonly string[]): { benchmarks: typeof BENCHMARKS; wants: (row: string) => boolean } {
  const flag = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  const only = (flag ?? process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .flatMap((s) => (s === 'peers' ? ['7'] : [s]));
  const known = new Set([...BENCHMARKS.map(([title]) => title.split(' ')[0]!), ...PEER_ROWS]);
  const unknown = only.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new Error(`--only: no benchmark ${unknown.join(', ')} (known: ${[...known, 'peers'].join(', ')})`);
  if (only.length === 0) return { benchmarks: BENCHMARKS, wants: () => true };
  const numberOf = (s: string) => s.replace(/[a-z]+$/, '');
  const benchmarks = BENCHMARKS.filter(([title]) => only.some((s) => numberOf(s) === title.split(' ')[0]));
  // A row is wanted when it, or its whole benchmark, was asked for.
  const wants = (row: string) => only.includes(row) || only.includes(numberOf(row));
  return { benchmarks, wants };
}

/**
 * Lets PostgreSQL write out what the previous benchmark left (a checkpoint, and vacuum's pass), so
 * its background work does not land on one side of the next comparison. Needs a superuser for the
 * checkpoint; without one the benchmark just starts.
 */
async function settle(database: BenchDatabase): Promise<void> {
  await database
    .use(async (db) => {
      await db.exec('VACUUM ANALYZE');
      await db.exec('CHECKPOINT');
    })
    .catch((error: unknown) => console.log(`  (could not settle the database first: ${error instanceof Error ? error.message : error})`));
}

async function runAll(ctx: BenchContext, benchmarks: typeof BENCHMARKS): Promise<{ comparisons: Comparison[]; crashed: boolean }> {
  const comparisons: Comparison[] = [];
  let crashed = false;
  for (const [title, bench] of benchmarks) {
    console.log(`\n${title}`);
    await settle(ctx.database);
    try {
      comparisons.push(...(await bench(ctx)));
    } catch (error) {
      crashed = true;
      const reason = error instanceof Error ? error.message : String(error);
      console.log(`  FAILED: ${reason}`);
      comparisons.push({ bench: title, metric: '-', notes: [`failed: ${reason.split('\n')[0]}`] });
    }
  }
  return { comparisons, crashed };
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true }); // DATABASE_URL as `npm start` would read it
  const started = new Date();
  const settings = benchSettings();
  const { benchmarks, wants } = selection(process.argv.slice(2));
  const cpuBusyAtStart = await machineBusy(1000);
  const database = await createBenchDatabase(process.env.DATABASE_URL || undefined);
  const interrupted = () => {
    killServers();
    database.drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let ctx: BenchContext;
  let outcome: Awaited<ReturnType<typeof runAll>>;
  try {
    ctx = await setUpContext(settings, database, wants);
    describeMachine(ctx, cpuBusyAtStart);
    outcome = await runAll(ctx, benchmarks);
  } finally {
    await database.drop();
  }
  const elapsedSeconds = Math.round((Date.now() - started.getTime()) / 1000);
  printSummary(outcome.comparisons);
  const file = writeResults({
    startedAt: started.toISOString(),
    elapsedSeconds,
    node: process.version,
    cores: availableParallelism(),
    cpuBusyAtStart,
    database: { kind: ctx.database.kind, description: ctx.database.description },
    settings: ctx.settings,
    comparisons: outcome.comparisons,
  });
  console.log(`\nfinished in ${elapsedSeconds} s; results in ${relative(process.cwd(), file)}`);
  if (outcome.crashed) process.exitCode = 1;
}

await main();
