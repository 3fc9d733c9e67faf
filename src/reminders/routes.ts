// /account/reminders (the settings) and /reminders/unsubscribe (the email's one-click way out).
import { type Request, type Response, Router } from 'express';
import { loadTimeZone, requirePageAuth, signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { DEFAULT_SETTINGS, emailVerified, findSettings, type ReminderSettings, saveSettings, turnOff } from './reminders.js';
import { checkSettings, describeDays, WEEKDAYS } from './schedule.js';
import { verifyUnsubscribeToken } from './unsubscribe.js';

const BAD_LINK = 'This unsubscribe link is not one Smriti sent, or it was cut short. Sign in and turn reminders off at /account/reminders.';

export function reminderRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use('/account/reminders', requirePageAuth(ctx), loadTimeZone(ctx));

  const render = async (
    res: Response,
    settings: ReminderSettings,
    status = 200,
    errors: Record<string, string> = {},
    messages: string[] = [],
  ) =>
    res.status(status).render('reminders/settings', {
      verified: await emailVerified(ctx.db, signInState(res).userId),
      title: 'Reminders',
      settings,
      errors,
      messages,
      weekdays: WEEKDAYS,
      timeZone: res.locals.timeZone,
      summary: settings.enabled ? `On: ${describeDays(settings.weekdays)} at ${settings.time}.` : 'Off.',
      scripts: ['/js/error-summary.js'],
    });

  router.get('/account/reminders', async (req, res) => {
    const settings = (await findSettings(ctx.db, signInState(res).userId)) ?? DEFAULT_SETTINGS;
    await render(res, settings, 200, {}, takeFlash(req));
  });

  router.post('/account/reminders', async (req, res) => {
    const checked = checkSettings(req.body);
    if (checked.kind === 'invalid') return render(res, checked.typed, 400, checked.errors);
    await saveSettings(ctx.db, signInState(res).userId, checked.settings, new Date(ctx.now()));
    const { settings } = checked;
    req.flash(
      'info',
      settings.enabled ? `Saved. Reminders are on: ${describeDays(settings.weekdays)} at ${settings.time}.` : 'Saved. Reminders are off.',
    );
    res.redirect(303, '/account/reminders');
  });

  return router;
}

function tokenUser(ctx: AppContext, req: Request): string {
  const userId = verifyUnsubscribeToken([ctx.config.jwt.secret, ...ctx.config.jwt.previousSecrets], req.query.token);
  if (!userId) throw new AppError(400, 'unsubscribe_invalid', BAD_LINK);
  return userId;
}

/**
 * Mounted before the cross-site check: a mail provider posts the one-click unsubscribe from its own
 * servers (RFC 8058), with no Origin. The token in the URL is the only authority; no cookie is read.
 */
export function unsubscribeRoutes(ctx: AppContext): Router {
  const router = Router();
  // Opening the link only asks: mail scanners follow links, and must not unsubscribe anyone.
  router.get('/reminders/unsubscribe', (req, res) => {
    tokenUser(ctx, req);
    res.render('reminders/unsubscribe', { title: 'Stop reminders', token: req.query.token, done: false });
  });
  router.post('/reminders/unsubscribe', async (req, res) => {
    await turnOff(ctx.db, tokenUser(ctx, req), new Date(ctx.now()));
    res.render('reminders/unsubscribe', { title: 'Reminders stopped', token: req.query.token, done: true });
  });
  return router;
}
