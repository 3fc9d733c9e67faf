// The bench server process: the production app, behind /bench/noauth and /bench/auth or clustered when asked.
import cluster from 'node:cluster';
import cookieParser from 'cookie-parser';
import express, { type Express, type RequestHandler, Router } from 'express';
import { type AppDeps, buildContext, createApp } from '../src/app.js';
import { requireApiAuth, signInState } from '../src/auth/middleware.js';
import { createRevokedSessions, listenForRevocations } from '../src/auth/revocations.js';
import { createUserCache } from '../src/auth/user-cache.js';
import type { Config } from '../src/config.js';
import type { AppContext } from '../src/context.js';
import { openDb } from '../src/db/db.js';
import { errorHandler } from '../src/http/errors.js';
import { listen, stopGracefully } from '../src/lifecycle.js';
import { createLogger } from '../src/logger.js';
import { benchConfig } from './config.js';

export interface ReadyMessage {
  type: 'ready';
  /** The primary first, then each worker; every process whose memory counts. */
  pids: number[];
}

const hello: RequestHandler = (_req, res) => {
  res.json({ ok: true });
};

/**
 * The work of the Flask peer's /api/me (a JWT check, no database), inside the app's whole middleware
 * chain (logging, headers, metrics, cookies), as any /api/* route is served.
 */
function tokenOnlyRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/api/bench/token', requireApiAuth(ctx), (_req, res) => {
    res.json({ sub: signInState(res).userId });
  });
  return router;
}

function benchApp(config: Config, deps: AppDeps): Express {
  const ctx = buildContext(config, deps);
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  // The two chains differ only by requireApiAuth, so their gap is the cost of checking the access token.
  app.get('/bench/noauth', cookieParser(), hello);
  app.get('/bench/auth', cookieParser(), requireApiAuth(ctx), hello);
  app.use(createApp(config, { ...deps, benchRoutes: tokenOnlyRoutes }));
  app.use(errorHandler(deps.logger));
  return app;
}

async function runWorker(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const db = await openDb({ databaseUrl: config.databaseUrl, embeddedDbDir: config.embeddedDbDir });
  // As src/server.ts: this process hears revocations, so the access-token check costs what it costs there.
  const revokedSessions = createRevokedSessions(config.jwt, Date.now);
  // BENCH_USER_CACHE=0 reads the user's row on every request, to measure what the cache saves.
  const userCache = process.env.BENCH_USER_CACHE === '0' ? undefined : createUserCache(Date.now);
  const stopListening = await listenForRevocations(db, revokedSessions, logger, userCache);
  const deps = { db, logger, revokedSessions, userCache };
  // Without the bench routes the process serves exactly what `npm start` serves.
  const app = process.env.BENCH_ROUTES === '1' ? benchApp(config, deps) : createApp(config, deps);
  const server = await listen(app, config.port, '127.0.0.1');
  process.on('SIGTERM', () => {
    stopGracefully(
      server,
      async () => {
        await stopListening();
        await db.close();
      },
      2000,
    ).finally(() => process.exit(0));
  });
  if (cluster.isPrimary) process.send?.({ type: 'ready', pids: [process.pid] } satisfies ReadyMessage);
}

// The same forking as src/server.ts, minus restarts: a worker that dies ends the benchmark.
function runPrimary(config: Config): void {
  const workers = Array.from({ length: config.webConcurrency }, () => cluster.fork());
  let stopping = false;
  let listening = 0;
  cluster.on('listening', () => {
    listening += 1;
    if (listening !== workers.length) return;
    const pids = [process.pid, ...workers.map((w) => w.process.pid ?? 0)];
    process.send?.({ type: 'ready', pids } satisfies ReadyMessage);
  });
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    console.error(`bench server worker ${worker.process.pid} exited with ${code}`);
    process.exit(1);
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const worker of workers) worker.process.kill('SIGTERM');
    let remaining = workers.length;
    cluster.on('exit', () => --remaining === 0 && process.exit(0));
  });
}

// The IPC channel closes when the bench process dies, however it dies: do not outlive it.
process.on('disconnect', () => process.exit(1));

const config = benchConfig(process.env);
if (config.webConcurrency > 1 && cluster.isPrimary) runPrimary(config);
else await runWorker(config);
