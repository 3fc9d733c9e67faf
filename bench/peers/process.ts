// Starting and stopping a peer's server, its throwaway database, and installing a Node peer from ../shared.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { throwawayDatabase } from '../database.js';
import { type BenchServer, trackChild } from '../server-process.js';

const CHECKOUT = join(import.meta.dirname, '..', '..');

/** The checkout this one was cloned from, when that is a folder on this machine. */
function localOrigin(): string | undefined {
  try {
    const url = execFileSync('git', ['config', '--get', 'remote.origin.url'], { cwd: CHECKOUT, encoding: 'utf8' }).trim();
    return url.startsWith('/') ? url.replace(/\/\.git$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/** BENCH_PEERS_DIR, else ../shared/peers beside the checkout, else beside the checkout it was cloned from. */
function peerDir(): string {
  if (process.env.BENCH_PEERS_DIR) return process.env.BENCH_PEERS_DIR;
  const beside = join(CHECKOUT, '..', 'shared', 'peers');
  const origin = localOrigin();
  const besideOrigin = origin ? join(origin, '..', 'shared', 'peers') : undefined;
  return !existsSync(beside) && besideOrigin && existsSync(besideOrigin) ? besideOrigin : beside;
}

export const PEER_DIR = peerDir();
export const PEER_DIR_HINT = 'set BENCH_PEERS_DIR to the shared/peers folder';
const START_TIMEOUT_MS = 60_000;
const run = promisify(execFile);

/** A peer that could not be set up: the reason is the row's skip line. */
export class PeerUnavailable extends Error {
  override name = 'PeerUnavailable';
}

export interface PeerDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A database of the peer's own on the bench's server, dropped by `drop`. */
export async function peerDatabase(adminUrl: string, prefix: string): Promise<PeerDatabase> {
  const { name, url, drop } = await throwawayDatabase(adminUrl, prefix);
  return { name, url: url.toString(), drop };
}

export interface InstalledPeer {
  dir: string;
  remove(): void;
}

/**
 * Copies ../shared/peers/<name> (read-only) to a temporary directory and installs its locked
 * dependencies there, without install scripts: the peers need none (bcrypt ships prebuilt binaries).
 */
export async function installNodePeer(name: string): Promise<InstalledPeer> {
  const source = join(PEER_DIR, name);
  if (!existsSync(join(source, 'package-lock.json'))) throw new PeerUnavailable(`the ${name} peer is not at ${source} (${PEER_DIR_HINT})`);
  const dir = mkdtempSync(join(tmpdir(), `smriti-peer-${name}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  try {
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: 300_000 });
  } catch (error) {
    remove();
    const said = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-2).join(' ') || String(error);
    throw new PeerUnavailable(`npm ci of the ${name} peer failed: ${said.slice(0, 300)}`);
  }
  return { dir, remove };
}

/** Runs a peer's script to its end (minting, migrating); its error output is the failure's reason. */
export async function runScript(what: string, command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  try {
    await run(command, args, { ...options, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const said = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ') || String(error);
    throw new PeerUnavailable(`${what} failed: ${said.slice(0, 400)}`);
  }
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

function stop(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve([]);
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve([]);
    });
    child.kill('SIGTERM');
  });
}

export interface PeerProcess {
  what: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** Processes to meter once it answers: the first and its `workers` children (gunicorn's). */
  workers?: number;
}

/** Starts a peer's server and waits until its /bare answers; a peer that exits or never answers is unavailable. */
export async function startPeerProcess(peer: PeerProcess): Promise<BenchServer> {
  const child = spawn(peer.command, peer.args, { cwd: peer.cwd, env: peer.env, stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const origin = `http://127.0.0.1:${peer.port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  for (;;) {
    if (exited()) throw new PeerUnavailable(`${peer.what} exited before answering: ${stderr.trim().slice(-400) || 'no output'}`);
    const ready = await fetch(`${origin}/bare`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready && childPids(child.pid!).length >= (peer.workers ?? 0)) break;
    if (Date.now() > deadline) {
      await stop(child);
      throw new PeerUnavailable(`${peer.what} did not answer /bare within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim().slice(-400)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pids = [child.pid!, ...(peer.workers ? childPids(child.pid!) : [])];
  return { origin, pids, stop: () => stop(child) };
}
