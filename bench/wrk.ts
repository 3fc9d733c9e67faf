// HTTP load through Debian's wrk, a C load generator: it leaves the two cores to the servers, where a
// Node load generator (autocannon) competes with the server it measures for them.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Case } from './context.js';
import type { LoadSample } from './load.js';

const WRK = '/usr/bin/wrk';
const SCRIPT = `${import.meta.dirname}/wrk/feed.lua`;
export const WRK_INSTALL = 'apt-get install -y wrk';

/** Why wrk cannot run here, or undefined when it can. */
export function wrkMissing(): string | undefined {
  try {
    execFileSync(WRK, ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is a problem.
    if ((error as { code?: string }).code === 'ENOENT') return `${WRK} is not installed (${WRK_INSTALL})`;
  }
  return undefined;
}

/** One Cookie header value per request, optionally with the client address after a tab. */
export interface CookieFeed {
  file: string;
  /** `once`: each line is good for one request (refresh tokens); `cycle`: round and round (sessions). */
  mode: 'once' | 'cycle';
  /** The next line to send; moves on by what each run sent. */
  next: number;
  readonly size: number;
}

export function cookieFeed(file: string, lines: readonly string[], mode: CookieFeed['mode']): CookieFeed {
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, mode, next: 0, size: lines.length };
}

export interface WrkSpec {
  /** http://127.0.0.1:<port>/path */
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  connections: number;
  feed: CookieFeed;
}

interface WrkResult {
  seconds: number;
  sent: number;
  statuses: Record<string, number>;
  latency: [number, number][];
}

function argsFor(spec: WrkSpec, seconds: number): string[] {
  // A load generator aimed elsewhere would be an attack, not a benchmark.
  if (new URL(spec.url).hostname !== '127.0.0.1') throw new Error(`refusing to load ${spec.url}: benchmarks target 127.0.0.1 only`);
  const headers = Object.entries(spec.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  // One thread: the feed's lines are handed out in order by one Lua state. wrk takes whole seconds.
  const duration = `${Math.max(1, Math.round(seconds))}s`;
  const common = ['-t1', `-c${spec.connections}`, `-d${duration}`, '--timeout', '30s', ...headers];
  const feed = [spec.feed.file, String(spec.feed.next), spec.feed.mode, spec.method ?? 'GET'];
  return [...common, '-s', SCRIPT, spec.url, '--', ...feed];
}

/**
 * Runs wrk for `seconds` (whole seconds). The latencies are wrk's histogram, to the microsecond,
 * after its correction for coordinated omission (it adds the samples a stalled connection kept from
 * being sent), so the percentiles are wrk's own; the answered count is the real one.
 */
export function runWrk(spec: WrkSpec, seconds: number): Promise<LoadSample> {
  const args = argsFor(spec, seconds);
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (exit ${code}): ${(err || out).trim().slice(0, 400)}`));
      const result = JSON.parse(line.slice('WRK_RESULT '.length)) as WrkResult;
      spec.feed.next += result.sent;
      const latencies: number[] = [];
      for (const [us, n] of result.latency) for (let i = 0; i < n; i++) latencies.push(us / 1000);
      const answered = Object.entries(result.statuses).reduce((n, [status, count]) => n + (status === 'error' ? 0 : count), 0);
      resolve({ latencies, answered, statuses: result.statuses, seconds: result.seconds });
    });
  });
}

/** One side of a comparison driven by wrk; `pids` are the processes doing the work (the server's). */
export function wrkCase(label: string, pids: readonly number[], spec: WrkSpec, database?: string): Case {
  return { label, run: (seconds) => runWrk(spec, seconds), pids, server: true, database };
}
