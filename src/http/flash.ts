// connect-flash messages, read without touching the flash cookie when there are none.
import type { Request } from 'express';

export function takeFlash(req: Request): string[] {
  return req.session?.flash ? req.flash('info') : [];
}
