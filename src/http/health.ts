// Liveness and readiness for load balancers and orchestrators.
import { Router } from 'express';
import type { Db } from '../db/db.js';
import type { Readiness } from '../lifecycle.js';

const READY_TIMEOUT_MS = 2000;

const ALWAYS_READY: Readiness = { draining: false };

export function healthRoutes(db: Db, readiness: Readiness = ALWAYS_READY): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // Shutting down: the database does not matter any more, only that traffic goes elsewhere.
    if (readiness.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database did not answer in time')), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([db.query('SELECT 1'), timeout]);
      res.json({ status: 'ready', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
