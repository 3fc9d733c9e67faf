// Starts bench/server.ts as a child process on 127.0.0.1, stops it, and reads the errors it logged.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from './config.js';
import type { ReadyMessage } from './server.js';

const ROOT = join(import.meta.dirname, '..');
const START_TIMEOUT_MS = 60_000;
const MAX_LOGGED_ERRORS = 3;

export interface BenchServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly pids: readonly number[];
  /** Stops the server; answers the first error lines it logged, if any. */
  stop(): Promise<string[]>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function waitForReady(child: ChildProcess, stderr: () => string): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench server did not start in time\n${stderr()}`)), START_TIMEOUT_MS);
    child.once('message', (message: ReadyMessage) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited with ${code} before it was ready\n${stderr()}`));
    });
  });
}

function errorLines(logFile: string): string[] {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  return lines
    .filter((line) => /"level":(50|60)/.test(line))
    .slice(0, MAX_LOGGED_ERRORS)
    .map((line) => line.slice(0, 400));
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ServerOptions {
  /** More than 1 runs the app under node:cluster, as WEB_CONCURRENCY does. */
  workers: number;
  /** Puts /bench/noauth and /bench/auth in front of the app, and /api/bench/token in it. */
  benchRoutes: boolean;
  /** Writes a V8 CPU profile of each server process there when it exits (else BENCH_CPU_PROF_DIR, if set). */
  cpuProfDir?: string;
  /** Another checkout of the project to run the server from (an A/B comparison); this one by default. */
  root?: string;
}

const running = new Set<ChildProcess>();

/** Kills every bench server and peer still running (the bench itself is being interrupted). */
export function killServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Counts `child` among the processes killServers ends. */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Starts the app with the production environment `env`. */
export async function startServer(env: Env, { workers, benchRoutes, cpuProfDir, root = ROOT }: ServerOptions): Promise<BenchServer> {
  const port = await freePort();
  const logFile = join(tmpdir(), `smriti-bench-${process.pid}-${port}.log`);
  const logFd = openSync(logFile, 'w');
  // BENCH_CPU_PROF_DIR=<dir> writes a V8 CPU profile of each server process there, for chasing a missed target.
  const profileDir = cpuProfDir ?? process.env.BENCH_CPU_PROF_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(root, 'bench', 'server.ts')], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      PORT: String(port),
      WEB_CONCURRENCY: String(workers),
      BENCH_ROUTES: benchRoutes ? '1' : '0',
    },
    stdio: ['ignore', logFd, 'pipe', 'ipc'],
  });
  closeSync(logFd);
  trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const ready = await waitForReady(child, () => stderr).catch(async (error: unknown) => {
    await stopChild(child);
    rmSync(logFile, { force: true });
    throw error;
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    pids: ready.pids,
    async stop() {
      await stopChild(child);
      const errors = errorLines(logFile);
      if (stderr.trim()) errors.push(stderr.trim().slice(0, 400));
      rmSync(logFile, { force: true });
      return errors;
    },
  };
}
