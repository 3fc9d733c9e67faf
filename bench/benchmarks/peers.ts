// 7. Smriti against the stacks a user would pick instead (../shared/peers), each beside Smriti in the
// same run, on the same PostgreSQL, driven by the same wrk, taking turns; only 2xx answers count.
//   7a–7c signed-in GET /api/me: express-session, Better Auth, Better Auth with its cookie cache
//   7d    a JWT check and no database: Smriti's /api/bench/token against the Flask peer's /api/me
//   7e    POST /refresh against the Flask peer's
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientAddress, PROXY_HEADERS, SAME_ORIGIN_HEADERS } from '../config.js';
import { type BenchContext, type Case, measure } from '../context.js';
import { flaskAccessTokens, flaskDatabase, flaskMissing, flaskRefreshTokens, startFlask } from '../peers/flask.js';
import {
  migrateBetterAuth,
  PEER_SESSIONS,
  type RunningPeer,
  setUpNodePeer,
  startBetterAuth,
  startExpressSession,
} from '../peers/node-peers.js';
import type { PeerDatabase } from '../peers/process.js';
import { type Comparison, compare, type RunStats, skipped, type Target } from '../report.js';
import { accessCookie, issueRefreshTokens, refreshCookie } from '../seed.js';
import { type BenchServer, startServer } from '../server-process.js';
import { type CookieFeed, cookieFeed, wrkCase, wrkMissing } from '../wrk.js';

// As the issue's side-by-side measurement: wrk -t1 -c16.
const CONNECTIONS = 16;
// Well above what either side sustains here; refresh tokens are single-use.
const MAX_REFRESHES_PER_SECOND = 5000;
const SMRITI_WORKERS = [1, 2];
const FLASK_WORKERS = [2, 4];

export const PEER_ROWS = ['7a', '7b', '7c', '7d', '7e'] as const;
export type PeerRow = (typeof PEER_ROWS)[number];

/** Answers that worked: a 401, a 429 or a dropped connection is no answer. */
const okCount = (run: RunStats) => Object.entries(run.statuses).reduce((n, [status, count]) => n + (status.startsWith('2') ? count : 0), 0);
const okPerSecond = (run: RunStats) => okCount(run) / run.seconds;
const best = (runs: RunStats[]) => runs.reduce((a, b) => (okPerSecond(b) > okPerSecond(a) ? b : a));

function notOkNote(runs: RunStats[]): string {
  return runs
    .filter((r) => okCount(r) !== r.requests || r.statuses.error)
    .map((r) => `${r.label}: not every answer was 2xx`)
    .join('; ');
}

function ratioRow(bench: string, metric: string, smriti: RunStats, peer: RunStats, target: Target, runs = [smriti, peer]): Comparison {
  const note = notOkNote(runs);
  return compare(bench, metric, smriti, peer, okPerSecond(smriti) / okPerSecond(peer), target, { ok: true, note });
}

/** Releases what a benchmark set up, last first, whatever happened. */
class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch((error: unknown) => console.log(`  (cleanup: ${String(error)})`));
  }
}

/** Sets a peer up; a failure is the row's skip line and leaves the other rows running. */
async function attempt<T>(bench: string, metric: string, skips: Comparison[], setUp: () => Promise<T>): Promise<T | undefined> {
  try {
    return await setUp();
  } catch (error) {
    skips.push(skipped(bench, metric, error instanceof Error ? error.message : String(error)));
    return undefined;
  }
}

function tempDir(cleanup: Cleanup): string {
  const dir = mkdtempSync(join(tmpdir(), 'smriti-bench-feeds-'));
  cleanup.add(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function smritiServer(ctx: BenchContext, cleanup: Cleanup, workers: number, benchRoutes: boolean): Promise<BenchServer> {
  const server = await startServer(ctx.env, { workers, benchRoutes });
  cleanup.add(async () => {
    for (const line of await server.stop()) console.log(`  server logged: ${line}`);
  });
  return server;
}

/** One access cookie per bench user, as that many signed-in browsers would send. */
function smritiAccessFeed(ctx: BenchContext, dir: string): CookieFeed {
  return cookieFeed(
    join(dir, 'smriti-access.txt'),
    ctx.users.slice(0, PEER_SESSIONS).map((id) => accessCookie(ctx.tokens, id)),
    'cycle',
  );
}

const ME_ROWS: { row: PeerRow; label: string; target: number }[] = [
  { row: '7a', label: 'express-session + connect-pg-simple', target: 2 },
  { row: '7b', label: 'Better Auth', target: 2 },
  { row: '7c', label: 'Better Auth, cookie cache', target: 1.5 },
];

async function startMePeers(ctx: BenchContext, rows: Set<PeerRow>, cleanup: Cleanup, skips: Comparison[]) {
  const adminUrl = ctx.env.DATABASE_URL!;
  const started = new Map<PeerRow, RunningPeer>();
  const keep = (peer: RunningPeer) => {
    cleanup.add(() => peer.server.stop());
    return peer;
  };
  const bench = (row: PeerRow) => `${row} vs ${ME_ROWS.find((r) => r.row === row)!.label}`;
  if (rows.has('7a')) {
    const peer = await attempt(bench('7a'), METRIC_ME, skips, async () => {
      console.log('  installing and signing in the express-session peer…');
      const setup = await setUpNodePeer('express-session', adminUrl);
      cleanup.add(() => setup.remove());
      return keep(await startExpressSession(setup));
    });
    if (peer) started.set('7a', peer);
  }
  const betterAuth = ['7b', '7c'].filter((row) => rows.has(row as PeerRow)) as PeerRow[];
  if (betterAuth.length > 0) {
    const setup = await attempt(bench(betterAuth[0]!), METRIC_ME, skips, async () => {
      console.log('  installing the Better Auth peer…');
      const made = await setUpNodePeer('better-auth', adminUrl);
      cleanup.add(() => made.remove());
      return { made, peers: await migrateBetterAuth(made) };
    });
    if (!setup)
      for (const row of betterAuth.slice(1)) skips.push(skipped(bench(row), METRIC_ME, 'the Better Auth peer could not be set up'));
    // The cookie-cached sessions hold five minutes from minting: mint them last, just before the runs.
    for (const row of setup ? betterAuth : []) {
      const peer = await attempt(bench(row), METRIC_ME, skips, async () => {
        console.log(`  signing in ${PEER_SESSIONS} Better Auth sessions${row === '7c' ? ' (cookie cache)' : ''}…`);
        return keep(await startBetterAuth(setup!.made, setup!.peers, row === '7c'));
      });
      if (peer) started.set(row, peer);
    }
  }
  return started;
}

const METRIC_ME = 'GET /api/me 2xx/s Smriti ÷ peer';

/** 7a–7c: the production app's signed-in GET /api/me beside each session stack's. */
async function meRows(ctx: BenchContext, rows: Set<PeerRow>): Promise<Comparison[]> {
  const cleanup = new Cleanup();
  const skips: Comparison[] = [];
  try {
    const peers = await startMePeers(ctx, rows, cleanup, skips);
    if (peers.size === 0) return skips;
    const dir = tempDir(cleanup);
    const smriti = await smritiServer(ctx, cleanup, 1, false);
    const spec = (origin: string, feed: CookieFeed) => ({
      url: `${origin}/api/me`,
      headers: { ...PROXY_HEADERS },
      connections: CONNECTIONS,
      feed,
    });
    const cases: Case[] = [wrkCase('Smriti GET /api/me', smriti.pids, spec(smriti.origin, smritiAccessFeed(ctx, dir)))];
    const order = [...peers.keys()];
    for (const row of order) {
      const peer = peers.get(row)!;
      const feed = cookieFeed(join(dir, `${row}.txt`), peer.cookies, 'cycle');
      const label = ME_ROWS.find((r) => r.row === row)!.label;
      cases.push(wrkCase(`${label} GET /api/me`, peer.server.pids, spec(peer.server.origin, feed), peer.database));
    }
    const [mine, ...theirs] = await measure(ctx, cases);
    const compared = order.map((row, i) => {
      const { label, target } = ME_ROWS.find((r) => r.row === row)!;
      return ratioRow(`${row} vs ${label}`, METRIC_ME, mine!, theirs[i]!, { op: '>=', value: target });
    });
    return [...skips, ...compared];
  } finally {
    await cleanup.run();
  }
}

async function flaskSetUp(ctx: BenchContext, cleanup: Cleanup): Promise<{ database: PeerDatabase; secret: string }> {
  const missing = flaskMissing();
  if (missing) throw new Error(missing);
  const database = await flaskDatabase(ctx.env.DATABASE_URL!);
  cleanup.add(() => database.drop());
  return { database, secret: randomBytes(32).toString('hex') };
}

async function flaskServers(cleanup: Cleanup, database: PeerDatabase, secret: string): Promise<BenchServer[]> {
  const servers: BenchServer[] = [];
  for (const workers of FLASK_WORKERS) {
    const server = await startFlask(workers, database, secret);
    cleanup.add(() => server.stop());
    servers.push(server);
  }
  return servers;
}

/** Best Smriti (WEB_CONCURRENCY 1 and 2) against the best Flask (gunicorn -w 2 and -w 4), all four taking turns. */
async function flaskRow(
  ctx: BenchContext,
  row: '7d' | '7e',
  metric: string,
  target: number,
  build: (cleanup: Cleanup, dir: string) => Promise<Case[]>,
): Promise<Comparison[]> {
  const bench = `${row} vs Flask peer`;
  const cleanup = new Cleanup();
  try {
    const dir = tempDir(cleanup);
    const skips: Comparison[] = [];
    const cases = await attempt(bench, metric, skips, () => build(cleanup, dir));
    if (!cases) return skips;
    const runs = await measure(ctx, cases);
    const smriti = best(runs.slice(0, SMRITI_WORKERS.length));
    const flask = best(runs.slice(SMRITI_WORKERS.length));
    return [ratioRow(bench, metric, smriti, flask, { op: '>=', value: target }, runs)];
  } finally {
    await cleanup.run();
  }
}

/** 7d: a JWT check and a JSON answer, no database, on both sides. */
function tokenRow(ctx: BenchContext): Promise<Comparison[]> {
  return flaskRow(ctx, '7d', 'JWT check, no database: 2xx/s Smriti ÷ Flask /api/me, best of each', 1.5, async (cleanup, dir) => {
    const { database, secret } = await flaskSetUp(ctx, cleanup);
    const flask = await flaskServers(cleanup, database, secret);
    const smritiFeed = smritiAccessFeed(ctx, dir);
    const flaskFeed = cookieFeed(
      join(dir, 'flask-access.txt'),
      flaskAccessTokens(secret, PEER_SESSIONS).map((t) => `smriti_access_token=${t}`),
      'cycle',
    );
    const cases: Case[] = [];
    for (const workers of SMRITI_WORKERS) {
      const server = await smritiServer(ctx, cleanup, workers, true);
      const spec = { url: `${server.origin}/api/bench/token`, headers: { ...PROXY_HEADERS }, connections: CONNECTIONS, feed: smritiFeed };
      cases.push(wrkCase(`Smriti GET /api/bench/token, WEB_CONCURRENCY=${workers}`, server.pids, spec));
    }
    for (const [i, server] of flask.entries()) {
      const spec = { url: `${server.origin}/api/me`, headers: { ...PROXY_HEADERS }, connections: CONNECTIONS, feed: flaskFeed };
      cases.push(wrkCase(`Flask GET /api/me, gunicorn -w ${FLASK_WORKERS[i]}`, server.pids, spec, database.name));
    }
    return cases;
  });
}

/** 7e: POST /refresh, a fresh token each, each from its own client address (the per-IP limit stays on). */
function refreshRow(ctx: BenchContext): Promise<Comparison[]> {
  return flaskRow(ctx, '7e', 'POST /refresh 2xx/s Smriti ÷ Flask, best of each', 2, async (cleanup, dir) => {
    const { database, secret } = await flaskSetUp(ctx, cleanup);
    const { seconds, warmupSeconds } = ctx.settings;
    const needed = Math.ceil((seconds + warmupSeconds) * MAX_REFRESHES_PER_SECOND * 2);
    console.log(`  minting ${needed.toLocaleString('en-US')} refresh tokens for each side…`);
    const flaskTokens = await flaskRefreshTokens(database, secret, needed);
    const flask = await flaskServers(cleanup, database, secret);
    const smritiTokens = await ctx.database.use((db) => issueRefreshTokens(db, ctx.tokens, ctx.users, needed));
    const line = (cookie: string, i: number) => `${cookie}\t${clientAddress(i)}`;
    const smritiFeed = cookieFeed(
      join(dir, 'smriti-refresh.txt'),
      smritiTokens.map((t, i) => line(refreshCookie(t), i)),
      'once',
    );
    const flaskFeed = cookieFeed(
      join(dir, 'flask-refresh.txt'),
      flaskTokens.map((t, i) => line(`smriti_refresh_token=${t}`, i)),
      'once',
    );
    const spec = (origin: string, feed: CookieFeed) => ({
      url: `${origin}/refresh`,
      method: 'POST' as const,
      headers: { ...SAME_ORIGIN_HEADERS },
      connections: CONNECTIONS,
      feed,
    });
    const cases: Case[] = [];
    for (const workers of SMRITI_WORKERS) {
      const server = await smritiServer(ctx, cleanup, workers, false);
      cases.push(wrkCase(`Smriti POST /refresh, WEB_CONCURRENCY=${workers}`, server.pids, spec(server.origin, smritiFeed)));
    }
    for (const [i, server] of flask.entries()) {
      cases.push(
        wrkCase(`Flask POST /refresh, gunicorn -w ${FLASK_WORKERS[i]}`, server.pids, spec(server.origin, flaskFeed), database.name),
      );
    }
    return cases;
  });
}

export async function peers(ctx: BenchContext): Promise<Comparison[]> {
  const rows = new Set(PEER_ROWS.filter((row) => ctx.wants(row)));
  const metric = 'Smriti ÷ peer';
  if (ctx.database.kind !== 'postgres') return [skipped('7 peers', metric, 'the peers need a PostgreSQL server: set DATABASE_URL')];
  const noWrk = wrkMissing();
  if (noWrk) return [skipped('7 peers', metric, noWrk)];
  const results: Comparison[] = [];
  if (rows.has('7a') || rows.has('7b') || rows.has('7c')) results.push(...(await meRows(ctx, rows)));
  if (rows.has('7d')) results.push(...(await tokenRow(ctx)));
  if (rows.has('7e')) results.push(...(await refreshRow(ctx)));
  return results;
}
