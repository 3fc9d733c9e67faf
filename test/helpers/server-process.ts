// Starts `src/server.ts` as a real child process (the way `npm start` does) and reads its log lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  port: number;
  origin: string;
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitForLine(pattern: RegExp, count?: number, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `startMs`: how long to wait for "listening on" (a first start on the embedded default creates its cluster). */
/** `port`: the same one again, for a restart a browser must reach where it left off; a free one otherwise. */
export async function startServerProcess(env: Record<string, string>, startMs = 60_000, port?: number): Promise<ServerProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    for (const wake of waiters) wake();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  function waitForLine(pattern: RegExp, count = 1, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (lines.filter((l) => pattern.test(l)).length >= count) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no log line matching ${pattern} (x${count}) within ${timeoutMs} ms; saw:\n${lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  const instance: ServerProcess = {
    port,
    origin: `http://127.0.0.1:${port}`,
    child,
    lines,
    exited,
    waitForLine,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  // One that never came up is killed, or it would outlive the run (a cluster primary re-forks forever).
  await waitForLine(/listening on/, 1, startMs).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return instance;
}
