// The process: read config, open the database, migrate, createApp, listen, handle signals, cluster.
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { createRevokedSessions, listenForRevocations } from './auth/revocations.js';
import { createUserCache } from './auth/user-cache.js';
import { type Config, ConfigError, loadConfigFromProcess } from './config.js';
import { type OpenedDb, openDb } from './db/db.js';
import { MigrationError, migrate } from './db/migrate.js';
import { CarryOverError, carryOverPglite } from './db/pglite-carry-over.js';
import { serveClusterMetrics } from './http/cluster-metrics.js';
import { createReadiness, drainThenStop, listen } from './lifecycle.js';
import { createProcessLogger } from './logger.js';
import { createMailer } from './mail.js';
import { pruneExpiredRows } from './prune.js';
import { startReminders } from './reminders/scheduler.js';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Opens the configured database (starting the embedded server when DATABASE_URL is unset), migrates it,
 * and on the embedded server carries over an older release's PGlite directory once. */
async function openDatabase(config: Config, logger: Logger): Promise<OpenedDb> {
  const db = await openDb({ databaseUrl: config.databaseUrl, embeddedDbDir: config.embeddedDbDir, log: (line) => logger.info(line) });
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    if (db.embeddedUrl) {
      const carried = await carryOverPglite(db, config.pgliteDir);
      if (carried) {
        logger.info(
          carried,
          `carried over the older release's PGlite journal (${carried.rows} rows in ${carried.tables} tables) into the embedded PostgreSQL server; the old directory is kept as ${carried.keptAs}`,
        );
      }
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

async function runWorker(config: Config): Promise<void> {
  const logger = createProcessLogger(config.logLevel, config.logFormat);
  if (!['JWT_SECRET', 'SESSION_SECRET'].includes(config.jwt.secretSource)) {
    logger.info(`JWT_SECRET is not set: signing with the secret generated for this machine in ${config.jwt.secretSource}`);
  }
  // The app's modules load while the database starts: on the embedded default the server is another
  // process, so the two overlap instead of adding up (a later start to /healthz: 2.60 → 2.32 s).
  const appModule = import('./app.js');
  const db = await openDatabase(config, logger);
  const { createApp, warmUp } = await appModule;

  const revokedSessions = createRevokedSessions(config.jwt, Date.now);
  const userCache = createUserCache(Date.now);
  const stopListening = await listenForRevocations(db, revokedSessions, logger, userCache);
  const readiness = createReadiness();
  const server = await listen(createApp(config, { db, logger, revokedSessions, userCache, readiness }), config.port, config.host);
  logger.info(`Smriti (${config.profile}) listening on http://${config.host ?? 'localhost'}:${config.port} using ${db.description}`);
  warmUp().catch((error: unknown) =>
    logger.warn({ err: error }, 'loading the password and passkey libraries failed; each loads at first use'),
  );

  const pruner = setInterval(() => {
    pruneExpiredRows(db, config, Date.now())
      .then((counts) => Object.values(counts).some(Boolean) && logger.info(counts, 'pruned expired rows'))
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning expired rows failed; will retry'));
  }, PRUNE_EVERY_MS);
  pruner.unref();
  // Every worker checks; the claim in PostgreSQL lets exactly one of them send each email.
  const reminders = startReminders({ config, db, logger, mailer: createMailer(config.mail, logger), now: Date.now });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const drainSeconds = config.shutdownDrainSeconds;
    logger.info({ signal, drainSeconds }, 'shutting down: /readyz answers 503 while draining, then in-flight requests finish');
    clearInterval(pruner);
    drainThenStop(server, readiness, drainSeconds, async () => {
      await reminders.stop();
      await stopListening();
      await db.close();
    })
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * The primary serves no requests. On the embedded default it owns the server: it starts it, migrates,
 * and hands the workers its URL; it stops the server after the last worker has drained and exited.
 */
async function runPrimary(config: Config): Promise<void> {
  const logger = createProcessLogger(config.logLevel, config.logFormat);
  let embedded: OpenedDb | undefined;
  const workerEnv: Record<string, string> = {};
  if (!config.databaseUrl) {
    embedded = await openDatabase(config, logger);
    workerEnv.DATABASE_URL = embedded.embeddedUrl!;
  }
  logger.info({ workers: config.webConcurrency }, 'starting workers');
  serveClusterMetrics();
  for (let i = 0; i < config.webConcurrency; i++) cluster.fork(workerEnv);
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.warn({ pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    cluster.fork(workerEnv);
  });
  const exit = (code: number) => {
    const stopped = embedded ? embedded.close() : Promise.resolve();
    stopped.then(
      () => process.exit(code),
      (error: unknown) => {
        logger.error({ err: error }, 'stopping the embedded PostgreSQL server failed');
        process.exit(1);
      },
    );
  };
  // Each worker drains and finishes its own requests; the primary exits when the last one has,
  // with 0 only if every worker stopped cleanly.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    logger.info({ signal, workers: workers.length }, 'shutting down: forwarding SIGTERM to every worker');
    let remaining = workers.length;
    let failed = false;
    if (remaining === 0) exit(0);
    cluster.on('exit', (_worker, code) => {
      failed ||= code !== 0;
      if (--remaining === 0) exit(failed ? 1 : 0);
    });
    for (const worker of workers) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = await loadConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Smriti cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  try {
    if (config.webConcurrency > 1 && cluster.isPrimary) await runPrimary(config);
    else await runWorker(config);
  } catch (error) {
    if (error instanceof MigrationError || error instanceof CarryOverError) {
      console.error(`Smriti cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

await main();
