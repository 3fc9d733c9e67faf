// The Node peers of ../shared/peers: express-session + connect-pg-simple, and Better Auth (with and
// without its cookie cache), each installed in a temporary directory, on its own database, with its
// own sessions minted the way its users' browsers would hold them.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchServer } from '../server-process.js';
import { freePort } from '../server-process.js';
import { type InstalledPeer, installNodePeer, type PeerDatabase, peerDatabase, runScript, startPeerProcess } from './process.js';

/** As many sessions as Smriti's side has signed-in users, each request taking the next. */
export const PEER_SESSIONS = 1000;

export interface RunningPeer {
  server: BenchServer;
  /** One Cookie header value per signed-in session. */
  cookies: string[];
  database: string;
}

export interface PeerSetup {
  installed: InstalledPeer;
  database: PeerDatabase;
}

function nodeEnv(database: PeerDatabase, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', DATABASE_URL: database.url, ...extra };
}

async function mintedCookies(setup: PeerSetup, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<string[]> {
  const file = join(setup.installed.dir, `cookies-${randomBytes(4).toString('hex')}.txt`);
  await runScript(what, process.execPath, ['mint.mjs', ...args, file], { cwd: setup.installed.dir, env });
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

/** Installs a peer and gives it a database; `remove` drops both. */
export async function setUpNodePeer(name: string, adminUrl: string): Promise<PeerSetup & { remove(): Promise<void> }> {
  const installed = await installNodePeer(name);
  let database: PeerDatabase;
  try {
    database = await peerDatabase(adminUrl, name.replace(/\W/g, '_'));
  } catch (error) {
    installed.remove();
    throw error;
  }
  return {
    installed,
    database,
    async remove() {
      installed.remove();
      await database.drop();
    },
  };
}

/** express-session's server (which creates its tables at start), signed in PEER_SESSIONS times over HTTP. */
export async function startExpressSession(setup: PeerSetup): Promise<RunningPeer> {
  const port = await freePort();
  const env = nodeEnv(setup.database, { PORT: String(port), SESSION_SECRET: randomBytes(32).toString('hex') });
  const server = await startPeerProcess({
    what: 'the express-session peer',
    command: process.execPath,
    args: ['server.mjs'],
    cwd: setup.installed.dir,
    env,
    port,
  });
  try {
    const cookies = await mintedCookies(setup, [server.origin, String(PEER_SESSIONS)], env, 'minting express-session sessions');
    return { server, cookies, database: setup.database.name };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface BetterAuthPeers {
  secret: string;
}

/** Creates Better Auth's tables with its own migrate API; both variants share them. */
export async function migrateBetterAuth(setup: PeerSetup): Promise<BetterAuthPeers> {
  const secret = randomBytes(32).toString('hex');
  const env = nodeEnv(setup.database, { BETTER_AUTH_SECRET: secret, BETTER_AUTH_URL: 'http://127.0.0.1' });
  await runScript('Better Auth migrate.mjs', process.execPath, ['migrate.mjs'], { cwd: setup.installed.dir, env });
  return { secret };
}

/** Better Auth's server, default or with its cookie cache, and sessions minted for it (the cached ones hold 5 minutes). */
export async function startBetterAuth(setup: PeerSetup, peers: BetterAuthPeers, cookieCache: boolean): Promise<RunningPeer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = nodeEnv(setup.database, {
    PORT: String(port),
    BETTER_AUTH_SECRET: peers.secret,
    BETTER_AUTH_URL: origin,
    ...(cookieCache ? { BA_COOKIE_CACHE: '1' } : {}),
  });
  const what = `the Better Auth peer${cookieCache ? ' (cookie cache)' : ''}`;
  const server = await startPeerProcess({ what, command: process.execPath, args: ['server.mjs'], cwd: setup.installed.dir, env, port });
  try {
    const cookies = await mintedCookies(setup, [String(PEER_SESSIONS)], env, `minting ${what}'s sessions`);
    return { server, cookies, database: setup.database.name };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
