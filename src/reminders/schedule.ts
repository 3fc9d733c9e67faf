// When a reminder is due: the writer's local day, weekday and time now, and the settings form's check.
import type { FieldErrors } from '../http/errors.js';
import { localDay } from '../time-zone.js';
import type { ReminderSettings } from './reminders.js';

export const WEEKDAYS = [
  { iso: 1, name: 'Monday' },
  { iso: 2, name: 'Tuesday' },
  { iso: 3, name: 'Wednesday' },
  { iso: 4, name: 'Thursday' },
  { iso: 5, name: 'Friday' },
  { iso: 6, name: 'Saturday' },
  { iso: 7, name: 'Sunday' },
] as const;

const SHORT_DAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const clocks = new Map<string, Intl.DateTimeFormat>();

/** The writer's own day (YYYY-MM-DD), ISO weekday and HH:MM at `at` in `timeZone`. */
export function localClock(at: Date, timeZone: string): { day: string; weekday: number; time: string } {
  let format = clocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (clocks.size > 1000) clocks.clear();
    clocks.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { day: localDay(at, timeZone), weekday: SHORT_DAYS[parts.weekday!]!, time: `${parts.hour}:${parts.minute}` };
}

/** Due: on, one of its weekdays, at or past its time, and not yet sent on this local day. */
export function isDue(reminder: ReminderSettings & { lastSentDay: string | null }, now: { day: string; weekday: number; time: string }) {
  return reminder.enabled && reminder.weekdays.includes(now.weekday) && now.time >= reminder.time && reminder.lastSentDay !== now.day;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export type SettingsCheck =
  | { kind: 'valid'; settings: ReminderSettings }
  | { kind: 'invalid'; errors: FieldErrors; typed: ReminderSettings };

/** The form: `enabled` (a checkbox), `time` (HH:MM) and `days` (ISO weekdays, one field each). */
export function checkSettings(body: unknown): SettingsCheck {
  const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const days = [form.days].flat().filter((d) => d !== undefined);
  const weekdays = [...new Set(days.map(Number))].filter((d) => Number.isInteger(d) && d >= 1 && d <= 7).sort((a, b) => a - b);
  const time = typeof form.time === 'string' ? form.time.trim().slice(0, 5) : '';
  const typed = { enabled: form.enabled === 'on', time, weekdays };
  const errors: FieldErrors = {};
  if (!TIME.test(time)) errors.time = 'Choose a time of day, such as 21:00.';
  if (weekdays.length !== days.length) errors.days = 'Choose days from Monday to Sunday.';
  else if (typed.enabled && weekdays.length === 0) errors.days = 'Choose at least one day, or turn the reminder off.';
  if (Object.keys(errors).length > 0) return { kind: 'invalid', errors, typed };
  return { kind: 'valid', settings: typed };
}

/** "every day", "weekdays", or "Monday, Wednesday and Friday". */
export function describeDays(weekdays: readonly number[]): string {
  if (weekdays.length === 7) return 'every day';
  if (weekdays.join() === '1,2,3,4,5') return 'on weekdays';
  const names = WEEKDAYS.filter((d) => weekdays.includes(d.iso)).map((d) => d.name);
  return `on ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`}`;
}
