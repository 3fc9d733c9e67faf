// What every benchmark is handed, and how cases are measured: warmed up, then interleaved against their baseline.
import type { TokenKeys } from '../src/auth/tokens.js';
import type { Config } from '../src/config.js';
import type { BenchSettings, Env } from './config.js';
import type { BenchDatabase } from './database.js';
import { type LoadSample, type LoadSpec, startLoad, statsOf } from './load.js';
import { startMeter, type Usage } from './meter.js';
import { printRun, type RunStats } from './report.js';
import { type BenchServer, type ServerOptions, startServer } from './server-process.js';

// Two cases measured together take turns in this many slices each, so a disturbance on the shared
// machine (another process, a checkpoint) lands on both sides instead of skewing the ratio.
const ROUNDS = 5;

export interface BenchContext {
  settings: BenchSettings;
  database: BenchDatabase;
  /** The bench server's production environment, database included. */
  env: Env;
  config: Config;
  /** Signs tokens the server accepts: same secret, same settings. */
  tokens: TokenKeys;
  /** User ids; user i has email benchEmail(i + 1) and password BENCH_PASSWORD. users[0] has 50 entries. */
  users: string[];
  /** Whether a row of a benchmark (`7b`) was asked for (`--only`); every row when nothing was named. */
  wants(row: string): boolean;
}

export type CaseSpec = Omit<LoadSpec, 'url' | 'connections'> & { path: string; connections?: number };

/** One side of a comparison: something that can be run for a while, and the processes doing the work. */
export interface Case {
  label: string;
  run(seconds: number): Promise<LoadSample>;
  /** Metered for memory and CPU; `server: false` when they are the bench's own process, not the app. */
  pids: readonly number[];
  server: boolean;
  /** The PostgreSQL database this case works in, when not the bench's own (the Flask peer's). */
  database?: string;
}

/** Starts a bench server for `work`, then stops it and shows what it logged as errors. */
async function withServer<T>(ctx: BenchContext, options: ServerOptions, work: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startServer(ctx.env, options);
  try {
    return await work(server);
  } finally {
    for (const line of await server.stop()) console.log(`  server logged: ${line}`);
  }
}

/** The app as `npm start` runs it in production, one process. */
export function withApp<T>(ctx: BenchContext, work: (server: BenchServer) => Promise<T>): Promise<T> {
  return withServer(ctx, { workers: 1, benchRoutes: false }, work);
}

/** The app behind /bench/noauth and /bench/auth, with `workers` processes. */
export function withBenchRoutes<T>(ctx: BenchContext, workers: number, work: (server: BenchServer) => Promise<T>): Promise<T> {
  return withServer(ctx, { workers, benchRoutes: true }, work);
}

export function loadSpec(ctx: BenchContext, server: BenchServer, spec: CaseSpec): LoadSpec {
  return { ...spec, url: `${server.origin}${spec.path}`, connections: spec.connections ?? ctx.settings.connections };
}

/** An autocannon load on one route of a bench server. */
export function httpCase(ctx: BenchContext, server: BenchServer, label: string, spec: CaseSpec): Case {
  const load = loadSpec(ctx, server, spec);
  return { label, run: (seconds) => startLoad(load, seconds).done, pids: server.pids, server: true };
}

function mergeUsage(parts: { usage: Usage; seconds: number }[], server: boolean): Partial<Usage> {
  const seconds = parts.reduce((total, p) => total + p.seconds, 0);
  const mean = (pick: (u: Usage) => number) => Math.round(parts.reduce((total, p) => total + pick(p.usage) * p.seconds, 0) / seconds);
  return {
    peakRssMb: server ? Math.max(...parts.map((p) => p.usage.peakRssMb)) : undefined,
    cpuPercent: mean((u) => u.cpuPercent),
    postgresCpuPercent: mean((u) => u.postgresCpuPercent),
    loadCpuPercent: mean((u) => u.loadCpuPercent),
    otherCpuPercent: mean((u) => u.otherCpuPercent),
  };
}

/**
 * Warms each case up, then measures BENCH_SECONDS of each: alone in one stretch, or, with several,
 * taking turns in ROUNDS slices. Prints and answers one run per case, in order.
 */
export async function measure<T extends Case[]>(ctx: BenchContext, cases: [...T]): Promise<{ [K in keyof T]: RunStats }> {
  const { seconds, warmupSeconds } = ctx.settings;
  for (const c of cases) await c.run(warmupSeconds);
  const rounds = cases.length > 1 ? ROUNDS : 1;
  const slices = cases.map(() => ({ samples: [] as LoadSample[], usage: [] as { usage: Usage; seconds: number }[] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of cases.entries()) {
      const stopMeter = startMeter(c.pids, c.database ?? ctx.database.name);
      const sample = await c.run(seconds / rounds);
      slices[i]!.samples.push(sample);
      slices[i]!.usage.push({ usage: stopMeter(), seconds: sample.seconds });
    }
  }
  const runs = cases.map((c, i) => {
    const run: RunStats = { label: c.label, ...statsOf(slices[i]!.samples), ...mergeUsage(slices[i]!.usage, c.server) };
    printRun(run);
    return run;
  });
  return runs as { [K in keyof T]: RunStats };
}
