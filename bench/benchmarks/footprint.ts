// Rows 10 and 11: `npm start` as a new user runs it (no DATABASE_URL: the embedded PostgreSQL server),
// its memory (PSS of the whole process tree) idle and after a journaler's session, and its start time.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import type { Comparison, Target } from '../report.js';
import { freePort } from '../server-process.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRIES = 1000;
const SETTLE_MS = 3000;

interface Started {
  child: ChildProcess;
  origin: string;
  seconds: number;
}

/** `npm start`'s own command (package.json), in a directory of its own, timed until /healthz answers. */
async function start(dir: string): Promise<Started> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      EMBEDDED_DB_DIR: join(dir, 'postgres'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const origin = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}) before serving`);
    const ok = await fetch(`${origin}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, origin, seconds: (performance.now() - began) / 1000 };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The pid and every process below it (the embedded server's too: it is the app's child). */
function tree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) for (const [pid, parent] of parents) if (parent === found[i]) found.push(pid);
  return found;
}

/** Proportional set size of the whole tree, MB: shared pages (PostgreSQL's buffers, Node's code) counted once. */
function pssMb(root: number): { total: number; node: number; postgres: number } {
  let node = 0;
  let postgres = 0;
  for (const pid of tree(root)) {
    try {
      const kb = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') postgres += kb;
      else node += kb;
    } catch {}
  }
  return { total: (node + postgres) / 1024, node: node / 1024, postgres: postgres / 1024 };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** Registers, writes ENTRIES entries, searches, and exports, as one person in a browser would. */
async function journalersSession(origin: string): Promise<void> {
  const headers = { Origin: `http://localhost`, 'Sec-Fetch-Site': 'same-origin' };
  const form = new URLSearchParams({
    email: `bench-${Date.now()}@example.com`,
    password: 'correct horse battery',
    password_confirm: 'correct horse battery',
  });
  const registered = await fetch(`${origin}/register`, { method: 'POST', headers, body: form, redirect: 'manual' });
  if (registered.status !== 303) throw new Error(`registration answered ${registered.status}`);
  const cookie = registered.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${origin}${path}`, { ...init, headers: { ...headers, cookie, 'Content-Type': 'application/json' } });
  for (let i = 0; i < ENTRIES; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        api('/api/entries', {
          method: 'POST',
          body: JSON.stringify({ title: `Day ${i + j}`, body: `Walked to the river, #walk number ${i + j}.` }),
        }).then((r) => {
          if (r.status !== 201) throw new Error(`writing an entry answered ${r.status}`);
        }),
      ),
    );
  }
  for (const q of ['river', 'walk', 'number 500'])
    if (!(await api(`/api/entries?q=${encodeURIComponent(q)}`)).ok) throw new Error('search failed');
  const exported = await api('/account/export?format=json');
  if (!exported.ok) throw new Error(`export answered ${exported.status}`);
  await exported.arrayBuffer();
}

function row(bench: string, metric: string, value: number, target: Target, notes: string[]): Comparison {
  const met = target.op === '<=' ? value <= target.value : value >= target.value;
  console.log(
    `  ${metric}: ${value.toFixed(2)} (target ${target.op} ${target.value}): ${met ? 'MET' : 'MISSED'}${notes.length ? ` — ${notes.join('; ')}` : ''}`,
  );
  return { bench, metric, ratio: value, target, met, notes };
}

function inFreshDirectory<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'smriti-footprint-'));
  // Started as root, the embedded server runs as the postgres user, who must reach its directory.
  chmodSync(dir, 0o755);
  return work(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

export function memory(_ctx: BenchContext): Promise<Comparison[]> {
  return inFreshDirectory(async (dir) => {
    const app = await start(dir);
    try {
      await settle();
      const idle = pssMb(app.child.pid!);
      await journalersSession(app.origin);
      await settle();
      const after = pssMb(app.child.pid!);
      const split = (m: typeof idle) => `Node ${m.node.toFixed(0)} MB + PostgreSQL ${m.postgres.toFixed(0)} MB`;
      return [
        row('12 memory', 'MB PSS, whole tree idle after start', idle.total, { op: '<=', value: 200 }, [split(idle)]),
        row('12 memory', `MB PSS after ${ENTRIES} entries, searches, an export`, after.total, { op: '<=', value: 300 }, [split(after)]),
      ];
    } finally {
      await stop(app.child);
    }
  });
}

export function startTime(_ctx: BenchContext): Promise<Comparison[]> {
  return inFreshDirectory(async (dir) => {
    const first = await start(dir);
    await stop(first.child);
    // The median of three: one start is at the mercy of whatever else the machine does that second.
    const laters: number[] = [];
    for (let i = 0; i < 3; i++) {
      const later = await start(dir);
      await stop(later.child);
      laters.push(later.seconds);
    }
    const later = { seconds: laters.sort((a, b) => a - b)[1]! };
    return [
      row('13 start', 's to /healthz, first start (cluster created)', first.seconds, { op: '<=', value: 5 }, []),
      row('13 start', 's to /healthz, a later start', later.seconds, { op: '<=', value: 2 }, []),
    ];
  });
}
