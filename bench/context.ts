// What every benchmark is handed, and the one way to run a measured case against a bench server.
import type { TokenService } from '../src/auth/tokens.js';
import type { Config } from '../src/config.js';
import type { BenchSettings, Env } from './config.js';
import type { BenchDatabase } from './database.js';
import { startLoad, type LoadSpec } from './load.js';
import { printRun, type RunStats } from './report.js';
import { startServer, type BenchServer } from './server-process.js';

export interface BenchContext {
  settings: BenchSettings;
  database: BenchDatabase;
  /** The bench server's production environment, database included. */
  env: Env;
  config: Config;
  /** Signs tokens the server accepts: same secret, same settings. */
  tokens: TokenService;
  /** User ids; user i has email benchEmail(i + 1) and password BENCH_PASSWORD. users[0] has 50 entries. */
  users: string[];
}

export type CaseSpec = Omit<LoadSpec, 'url' | 'connections'> & { path: string; connections?: number };

/** Starts a bench server with `workers` processes for `work`, then stops it and shows what it logged as errors. */
export async function withServer<T>(ctx: BenchContext, workers: number, work: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startServer(ctx.env, workers);
  try {
    return await work(server);
  } finally {
    for (const line of await server.stop()) console.log(`  server logged: ${line}`);
  }
}

export function loadSpec(ctx: BenchContext, server: BenchServer, spec: CaseSpec): LoadSpec {
  return { ...spec, url: `${server.origin}${spec.path}`, connections: spec.connections ?? ctx.settings.connections };
}

/** Warms up, then measures for BENCH_SECONDS with the server's peak RSS, and prints the run. */
export async function runCase(ctx: BenchContext, server: BenchServer, label: string, spec: CaseSpec): Promise<RunStats> {
  const load = loadSpec(ctx, server, spec);
  await startLoad(load, ctx.settings.warmupSeconds).done;
  const stopMeter = server.meterRss();
  const stats = await startLoad(load, ctx.settings.seconds).done;
  const run: RunStats = { label, ...stats, peakRssMb: stopMeter() };
  printRun(run);
  return run;
}
