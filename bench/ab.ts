// `npm run bench:ab -- <route> <checkout A> <checkout B> [rounds] [seconds per slice]`: two checkouts of
// the project (a change and what it changed) serving one route side by side on one database, wrk
// taking turns between them, so the machine's noise lands on both. Prints each side's 2xx/s and
// server CPU per request, and the ratio B ÷ A of every round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dotenv from 'dotenv';
import { createBenchDatabase } from './database.js';
import { startMeter } from './meter.js';
import { feedFor, isRoute, ROUTES, routeSpec } from './routes.js';
import { startServer } from './server-process.js';
import { setUpContext } from './setup.js';
import { runWrk, wrkMissing } from './wrk.js';

interface Side {
  ok: number;
  seconds: number;
  cpuUs: number;
  postgresUs: number;
}

const okOf = (statuses: Record<string, number>) => Object.entries(statuses).reduce((n, [s, c]) => n + (s.startsWith('2') ? c : 0), 0);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const [route, rootA, rootB, roundsArg, sliceArg] = process.argv.slice(2);
  if (!isRoute(route) || !rootA || !rootB) {
    throw new Error(`usage: npm run bench:ab -- <${Object.keys(ROUTES).join('|')}> <checkout A> <checkout B> [rounds] [seconds]`);
  }
  const rounds = Number(roundsArg ?? 8);
  const slice = Number(sliceArg ?? 3);
  const missing = wrkMissing();
  if (missing) throw new Error(missing);
  const database = await createBenchDatabase(process.env.DATABASE_URL || undefined);
  const dir = mkdtempSync(join(tmpdir(), 'smriti-ab-'));
  try {
    const ctx = await setUpContext({ seconds: slice, warmupSeconds: 2, connections: 16 }, database, () => true);
    const feed = await feedFor(ctx, route, dir, (rounds * slice + 4) * 2);
    const servers = [
      await startServer(ctx.env, { workers: 1, benchRoutes: ROUTES[route].benchRoutes, root: resolve(rootA) }),
      await startServer(ctx.env, { workers: 1, benchRoutes: ROUTES[route].benchRoutes, root: resolve(rootB) }),
    ];
    try {
      const specs = servers.map((server) => routeSpec(route, server, feed));
      for (const spec of specs) await runWrk(spec, 2);
      const sides: Side[][] = [[], []];
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so neither side always follows the other's after-effects.
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const stop = startMeter(servers[i]!.pids, database.name);
          const sample = await runWrk(specs[i]!, slice);
          const usage = stop();
          sides[i]!.push({
            ok: okOf(sample.statuses),
            seconds: sample.seconds,
            cpuUs: usage.cpuPercent * 10_000 * sample.seconds,
            postgresUs: usage.postgresCpuPercent * 10_000 * sample.seconds,
          });
        }
      }
      report(route, [rootA, rootB], sides);
    } finally {
      for (const server of servers) await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

function report(route: string, roots: string[], sides: Side[][]): void {
  const total = (side: Side[]) => {
    const ok = side.reduce((n, s) => n + s.ok, 0);
    const seconds = side.reduce((n, s) => n + s.seconds, 0);
    const cpu = side.reduce((n, s) => n + s.cpuUs, 0);
    const postgres = side.reduce((n, s) => n + s.postgresUs, 0);
    return { rps: ok / seconds, cpuPerRequest: cpu / ok, postgresPerRequest: postgres / ok };
  };
  const [a, b] = sides.map(total);
  console.log(`${ROUTES[route as keyof typeof ROUTES].path}, ${sides[0]!.length} rounds each`);
  for (const [i, side] of [a!, b!].entries()) {
    console.log(
      `  ${'AB'[i]} ${roots[i]!.padEnd(30)} ${Math.round(side.rps).toLocaleString('en-US').padStart(7)} 2xx/s  server CPU ${side.cpuPerRequest.toFixed(0)} µs/req`,
    );
  }
  const perRound = sides[0]!.map((s, i) => sides[1]![i]!.ok / sides[1]![i]!.seconds / (s.ok / s.seconds));
  // CPU per request is steadier than throughput on a busy machine; its per-round median steadier still.
  const cpuPerRound = sides[0]!.map((s, i) => sides[1]![i]!.cpuUs / sides[1]![i]!.ok / (s.cpuUs / s.ok));
  console.log(
    `  B ÷ A: ${(b!.rps / a!.rps).toFixed(3)} (rounds: median ${median(perRound).toFixed(3)}, ` +
      `${Math.min(...perRound).toFixed(3)}–${Math.max(...perRound).toFixed(3)}); CPU per request B ÷ A ${(b!.cpuPerRequest / a!.cpuPerRequest).toFixed(3)} (rounds: median ${median(cpuPerRound).toFixed(3)})`,
  );
}

await main();
