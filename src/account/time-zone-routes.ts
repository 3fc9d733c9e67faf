// PUT /api/account/time-zone: the page script reports the device's zone when it differs from the saved one.
import { Router } from 'express';
import { requireApiAuth, saveWriterTimeZone, signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';

export function timeZoneRoutes(ctx: AppContext): Router {
  const router = Router();
  router.put('/api/account/time-zone', requireApiAuth(ctx), async (req, res) => {
    const zone = (req.body as { timeZone?: unknown } | undefined)?.timeZone;
    if (!(await saveWriterTimeZone(ctx, signInState(res).userId, zone))) {
      const message = 'Send {"timeZone": "<an IANA time zone name>"}, such as "Asia/Kolkata".';
      throw new AppError(400, 'time_zone_invalid', message, { timeZone: message });
    }
    res.status(204).end();
  });
  return router;
}
