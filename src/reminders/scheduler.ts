// Sends the reminders that are due, on the server's own schedule; any number of processes send each once.

import type { AppContext } from '../context.js';
import { sendMail } from '../mail.js';
import { reminderEmail } from './email.js';
import { type ActiveReminder, activeReminders, claimDay, wroteOn } from './reminders.js';
import { isDue, localClock } from './schedule.js';
import { unsubscribeToken } from './unsubscribe.js';

export type ReminderDeps = Pick<AppContext, 'config' | 'db' | 'logger' | 'mailer' | 'now'>;

export const REMINDER_CHECK_EVERY_MS = 60 * 1000;
// Longer than any day in any zone: every entry saved on the writer's local day is newer than this.
const LONGEST_DAY_MS = 27 * 60 * 60 * 1000;

/** Whether anything was written on the writer's own `day`: dated that day, or saved during it. */
async function wroteToday(deps: ReminderDeps, reminder: ActiveReminder, day: string, at: Date): Promise<boolean> {
  const rows = await wroteOn(deps.db, reminder.userId, day, new Date(at.getTime() - LONGEST_DAY_MS));
  return rows.some((row) => row.entryDate === day || localClock(row.updatedAt, reminder.timeZone).day === day);
}

/** One reminder: answers whether this process sent it (false when not due, written, or claimed elsewhere). */
async function remindOne(deps: ReminderDeps, reminder: ActiveReminder, at: Date): Promise<boolean> {
  const now = localClock(at, reminder.timeZone);
  if (!isDue(reminder, now) || (await wroteToday(deps, reminder, now.day, at))) return false;
  if (!(await claimDay(deps.db, reminder.userId, now.day))) return false;
  const token = unsubscribeToken(deps.config.jwt.secret, reminder.userId);
  await sendMail(deps.mailer, reminderEmail(reminder.email, reminder, deps.config.appOrigin, token));
  return true;
}

/** Sends every reminder due at deps.now(); answers how many this process sent. */
export async function sendDueReminders(deps: ReminderDeps): Promise<number> {
  const at = new Date(deps.now());
  let sent = 0;
  for (const reminder of await activeReminders(deps.db)) {
    try {
      if (await remindOne(deps, reminder, at)) sent += 1;
    } catch (error) {
      deps.logger.warn({ err: error, userId: reminder.userId }, 'a reminder could not be sent; the next check tries again');
    }
  }
  return sent;
}

/** Checks every `everyMs`; stop() ends the timer and waits for a check under way. */
export function startReminders(deps: ReminderDeps, everyMs = REMINDER_CHECK_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = sendDueReminders(deps)
      .then((sent) => sent > 0 && deps.logger.info({ sent }, 'reminders sent'))
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'checking reminders failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
