// The seeds' own stack (Flask + PyJWT + psycopg2 under gunicorn, ../shared/peers/flask_peer.py): its
// database, its tokens, its server.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import type { BenchServer } from '../server-process.js';
import { freePort } from '../server-process.js';
import { PEER_DIR, PEER_DIR_HINT, type PeerDatabase, peerDatabase, runScript, startPeerProcess } from './process.js';

// Debian's Python, where python3-flask and friends are installed; not whatever python3 is first on the PATH.
const PYTHON = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';
export const FLASK_INSTALL = 'apt-get install -y python3-flask python3-jwt python3-psycopg2 gunicorn';
const ACCESS_LIFETIME_SECONDS = 1800;

/** What is missing to run the Flask peer, or undefined when it can run. */
export function flaskMissing(): string | undefined {
  if (!existsSync(join(PEER_DIR, 'flask_peer.py'))) return `the peer is not at ${PEER_DIR} (${PEER_DIR_HINT})`;
  if (!existsSync(GUNICORN)) return `${GUNICORN} is not installed (${FLASK_INSTALL})`;
  try {
    execFileSync(PYTHON, ['-c', 'import flask, jwt, psycopg2'], { stdio: 'ignore' });
  } catch {
    return `Debian's Python lacks flask, jwt or psycopg2 (${FLASK_INSTALL})`;
  }
  return undefined;
}

/** The peer's own throwaway database on the same server, with its schema. */
export async function flaskDatabase(adminUrl: string): Promise<PeerDatabase> {
  const database = await peerDatabase(adminUrl, 'flask');
  const client = new pg.Client({ connectionString: database.url });
  try {
    await client.connect();
    await client.query(readFileSync(join(PEER_DIR, 'schema.sql'), 'utf8'));
  } catch (error) {
    await database.drop();
    throw error;
  } finally {
    await client.end();
  }
  return database;
}

/** `count` live refresh tokens, minted by the peer's own mint_tokens.py. */
export async function flaskRefreshTokens(database: PeerDatabase, secret: string, count: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'smriti-peer-'));
  try {
    const file = join(dir, 'tokens.txt');
    const env = { ...process.env, DATABASE_URL: database.url, JWT_SECRET: secret };
    await runScript('mint_tokens.py', PYTHON, [join(PEER_DIR, 'mint_tokens.py'), String(count), file], { cwd: dir, env });
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Access tokens as flask_peer.py signs them (HS256, sub/sid/typ/jti/iat/exp, no aud: PyJWT would want one). */
export function flaskAccessTokens(secret: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    jwt.sign({ sub: String(i + 1), sid: randomUUID(), typ: 'access', jti: randomUUID() }, secret, {
      algorithm: 'HS256',
      expiresIn: ACCESS_LIFETIME_SECONDS,
    }),
  );
}

/** gunicorn with `workers` sync workers, answering once /bare does and every worker is up. */
export async function startFlask(workers: number, database: PeerDatabase, secret: string): Promise<BenchServer> {
  const port = await freePort();
  return startPeerProcess({
    what: `gunicorn -w ${workers}`,
    command: GUNICORN,
    args: ['-w', String(workers), '-b', `127.0.0.1:${port}`, '--chdir', PEER_DIR, 'flask_peer:app'],
    cwd: PEER_DIR,
    env: { ...process.env, DATABASE_URL: database.url, JWT_SECRET: secret, PYTHONDONTWRITEBYTECODE: '1' },
    port,
    workers,
  });
}
