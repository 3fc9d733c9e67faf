// Starts bench/server.ts as a child process on 127.0.0.1, measures its memory, stops it, reads its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from './config.js';
import type { ReadyMessage } from './server.js';

const SERVER_FILE = join(import.meta.dirname, 'server.ts');
const START_TIMEOUT_MS = 60_000;
const RSS_POLL_MS = 100;
const MAX_LOGGED_ERRORS = 3;

export interface BenchServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly pids: readonly number[];
  /** Starts measuring peak resident memory; the returned function stops and answers MB. */
  meterRss(): () => number;
  /** Stops the server; answers the first error lines it logged, if any. */
  stop(): Promise<string[]>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Peak RSS summed over the processes: VmHWM after resetting it (exact), else VmRSS polled. */
function meterRss(pids: readonly number[]): () => number {
  let hwmReset = true;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // "5" resets the peak-RSS mark (Linux ≥ 4.0)
    } catch {
      hwmReset = false;
    }
  }
  const sum = (field: 'VmRSS' | 'VmHWM') => pids.reduce((total, pid) => total + statusKb(pid, field), 0);
  let polled = sum('VmRSS');
  const timer = setInterval(() => (polled = Math.max(polled, sum('VmRSS'))), RSS_POLL_MS);
  return () => {
    clearInterval(timer);
    const peakKb = Math.max(polled, hwmReset ? sum('VmHWM') : 0);
    return Math.round(peakKb / 102.4) / 10;
  };
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
  return lines.filter((line) => /"level":(50|60)/.test(line)).slice(0, MAX_LOGGED_ERRORS).map((line) => line.slice(0, 400));
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

/** `env` is the production environment; `workers` > 1 runs it under node:cluster. */
export async function startServer(env: Env, workers = 1): Promise<BenchServer> {
  const port = await freePort();
  const logFile = join(tmpdir(), `smriti-bench-${process.pid}-${port}.log`);
  const logFd = openSync(logFile, 'w');
  // BENCH_CPU_PROF_DIR=<dir> writes a V8 CPU profile of each server process there, for chasing a missed target.
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', SERVER_FILE], {
    cwd: join(import.meta.dirname, '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), WEB_CONCURRENCY: String(workers) },
    stdio: ['ignore', logFd, 'pipe', 'ipc'],
  });
  closeSync(logFd);
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
    meterRss: () => meterRss(ready.pids),
    async stop() {
      await stopChild(child);
      const errors = errorLines(logFile);
      if (stderr.trim()) errors.push(stderr.trim().slice(0, 400));
      rmSync(logFile, { force: true });
      return errors;
    },
  };
}
