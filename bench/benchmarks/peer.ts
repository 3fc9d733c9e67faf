// 7. POST /refresh of Smriti against the seeds' own stack (Flask + PyJWT + psycopg2 under gunicorn, in
// ../shared/peers), side by side on the same PostgreSQL, with the same load, taking turns.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type BenchContext, type Case, httpCase, measure } from '../context.js';
import { count5xx } from '../load.js';
import { type TokenFeed, tokenFeed } from '../refresh-sql.js';
import { type Comparison, compare, type RunStats, skipped } from '../report.js';
import { issueRefreshTokens } from '../seed.js';
import { type BenchServer, freePort, startServer } from '../server-process.js';
import { refreshSpec } from './refresh.js';

const BENCH = '7 vs Flask peer';
const PEER_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'peers');
// Debian's Python, where python3-flask and friends are installed; not whatever python3 is first on the PATH.
const PYTHON = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';
const INSTALL_HINT = 'apt-get install -y python3-flask python3-jwt python3-psycopg2 gunicorn';
const PEER_WORKERS = [2, 4];
const SMRITI_WORKERS = [1, 2];
// As the issue's side-by-side measurement: 16 connections, a fresh token on every request.
const CONNECTIONS = 16;
// Well above what either sustains on this machine; tokens are single-use.
const MAX_REFRESHES_PER_SECOND = 5000;

/** What is missing to run the peer, or undefined when it can run. */
function peerMissing(): string | undefined {
  if (!existsSync(join(PEER_DIR, 'flask_peer.py'))) return `the peer is not at ${PEER_DIR}`;
  if (!existsSync(GUNICORN)) return `${GUNICORN} is not installed (${INSTALL_HINT})`;
  try {
    execFileSync(PYTHON, ['-c', 'import flask, jwt, psycopg2'], { stdio: 'ignore' });
  } catch {
    return `Debian's Python lacks flask, jwt or psycopg2 (${INSTALL_HINT})`;
  }
  return undefined;
}

/** The peer's own throwaway database on the same server, with its schema and `count` minted tokens. */
async function peerDatabase(adminUrl: string, secret: string, count: number) {
  const name = `smriti_peer_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(readFileSync(join(PEER_DIR, 'schema.sql'), 'utf8'));
  await client.end();
  const dir = mkdtempSync(join(tmpdir(), 'smriti-peer-'));
  const file = join(dir, 'tokens.txt');
  const env = { ...process.env, DATABASE_URL: url.toString(), JWT_SECRET: secret };
  execFileSync(PYTHON, [join(PEER_DIR, 'mint_tokens.py'), String(count), file], { env, stdio: 'inherit' });
  const tokens = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  rmSync(dir, { recursive: true, force: true });
  const drop = async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  };
  return { name, url: url.toString(), tokens, drop };
}

function childPids(parent: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** gunicorn with `workers` sync workers, answering once /bare does. */
async function startPeer(workers: number, databaseUrl: string, secret: string, port: number): Promise<BenchServer> {
  const child: ChildProcess = spawn(GUNICORN, ['-w', String(workers), '-b', `127.0.0.1:${port}`, '--chdir', PEER_DIR, 'flask_peer:app'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET: secret, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 200; tries++) {
    const ready = await fetch(`${origin}/bare`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready && childPids(child.pid!).length >= workers) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    origin,
    pids: [child.pid!, ...childPids(child.pid!)],
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve([]));
        child.kill('SIGTERM');
      }),
  };
}

function peerCase(ctx: BenchContext, server: BenchServer, workers: number, feed: TokenFeed, database: string): Case {
  const run = httpCase(ctx, server, `Flask peer, gunicorn -w ${workers}`, {
    path: '/refresh',
    method: 'POST',
    connections: CONNECTIONS,
    setupRequest: (request) => {
      const token = feed.next();
      if (token) request.headers = { ...request.headers, cookie: `smriti_refresh_token=${token.jwt}` };
      return request;
    },
  });
  return { ...run, database };
}

/** Refreshes that worked, per second: a 401 for a token run out, or a dropped connection, is no refresh. */
const refreshesPerSecond = (run: RunStats) => (run.statuses['200'] ?? 0) / run.seconds;
const best = (runs: RunStats[]) => runs.reduce((a, b) => (refreshesPerSecond(b) > refreshesPerSecond(a) ? b : a));

export async function peer(ctx: BenchContext): Promise<Comparison[]> {
  const metric = 'refreshes/s (200s) Smriti ÷ Flask peer, best of each';
  if (ctx.database.kind !== 'postgres') return [skipped(BENCH, metric, 'the peer needs a PostgreSQL server: set DATABASE_URL')];
  const missing = peerMissing();
  if (missing) return [skipped(BENCH, metric, missing)];

  const { seconds, warmupSeconds } = ctx.settings;
  const needed = Math.ceil((seconds + warmupSeconds) * MAX_REFRESHES_PER_SECOND * 2);
  const secret = randomBytes(32).toString('hex');
  console.log(`  minting ${needed.toLocaleString('en-US')} tokens for each side…`);
  const database = await peerDatabase(new URL(ctx.env.DATABASE_URL!).toString(), secret, needed);
  const peerFeed = tokenFeed(database.tokens.map((jwt) => ({ jwt, hash: '', userId: '', sid: '', ip: '' })));
  const smritiFeed = tokenFeed(await ctx.database.use((db) => issueRefreshTokens(db, ctx.tokens, ctx.users, needed)));
  const servers: BenchServer[] = [];
  try {
    const cases: Case[] = [];
    for (const workers of SMRITI_WORKERS) {
      const server = await startServer(ctx.env, { workers, benchRoutes: false });
      servers.push(server);
      const label = `Smriti POST /refresh, WEB_CONCURRENCY=${workers}`;
      cases.push(httpCase(ctx, server, label, { ...refreshSpec(smritiFeed), connections: CONNECTIONS }));
    }
    for (const workers of PEER_WORKERS) {
      const server = await startPeer(workers, database.url, secret, await freePort());
      servers.push(server);
      cases.push(peerCase(ctx, server, workers, peerFeed, database.name));
    }
    const runs = await measure(ctx, cases);
    const smriti = best(runs.slice(0, SMRITI_WORKERS.length));
    const flask = best(runs.slice(SMRITI_WORKERS.length));
    const notes = [
      ...runs.filter((r) => (r.statuses['200'] ?? 0) !== r.requests).map((r) => `${r.label}: not every answer was 200`),
      smritiFeed.left === 0 || peerFeed.left === 0 ? 'ran out of tokens: raise MAX_REFRESHES_PER_SECOND' : '',
    ].filter(Boolean);
    const ok = runs.every((r) => count5xx(r) === 0);
    return [
      compare(
        BENCH,
        metric,
        smriti,
        flask,
        refreshesPerSecond(smriti) / refreshesPerSecond(flask),
        { op: '>=', value: 1.5 },
        {
          ok,
          note: notes.join('; '),
        },
      ),
    ];
  } finally {
    for (const server of servers) await server.stop();
    await database.drop();
  }
}
