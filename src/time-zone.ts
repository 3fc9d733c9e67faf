// The writer's time zone: checked, saved on the account, and used for every date the server writes.
// Below every feature (auth saves it at sign-in; journal and account render with it).
import type { Queryable } from './db/db.js';

export const DEFAULT_TIME_ZONE = 'UTC';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The signed-in writer's IANA time zone, for every date a page shows. */
    timeZone?: string;
  }
}

// Building an Intl.DateTimeFormat costs ~50 µs, about a thousand times what formatting with one does,
// so each locale, style and zone is built once per process. The key space is small (checked zone
// names × a few styles); the cap only guards against many spellings of valid names ("asia/KOLKATA").
const FORMATS_MAX = 2000;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatter(key: string, locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    if (formats.size >= FORMATS_MAX) formats.clear();
    formats.set(key, format);
  }
  return format;
}

const dayFormat = (timeZone: string) =>
  formatter(`day ${timeZone}`, 'en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The IANA name as the browser sent it ("Asia/Kolkata", not ICU's older alias), or undefined if it is none. */
export function checkTimeZone(value: unknown): string | undefined {
  // Names only: offsets such as "+05:30" would stay fixed through daylight saving changes.
  if (typeof value !== 'string' || value.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return undefined;
  try {
    dayFormat(value); // throws for a zone ICU does not know
    return value;
  } catch {
    return undefined;
  }
}

/**
 * Saves the zone the browser reported, when it is a real one; anything else is ignored (an old
 * browser, a hand-made form), keeping the zone already saved. Answers whether it was saved.
 */
export async function saveTimeZone(db: Queryable, userId: string, timeZone: unknown): Promise<boolean> {
  const zone = checkTimeZone(timeZone);
  if (!zone) return false;
  await db.query(`UPDATE users SET time_zone = $2 WHERE id = $1 AND time_zone <> $2`, [userId, zone]);
  return true;
}

/** The calendar day (YYYY-MM-DD) a moment falls on in a zone. */
export function localDay(at: Date, timeZone: string): string {
  return dayFormat(timeZone).format(at);
}

const MOMENT_STYLES = {
  date: { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' },
  datetime: { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
} as const;

/** A moment as people read it, in the writer's zone: "Mon, 10 Mar 2025, 05:00". */
export function formatMoment(at: Date, style: 'date' | 'datetime', timeZone: string): string {
  return formatter(`${style} ${timeZone}`, 'en-GB', { ...MOMENT_STYLES[style], timeZone }).format(at);
}

const LONG_DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
const LONG_MONTH = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'long', timeZone: 'UTC' });

/** A calendar day (YYYY-MM-DD, no zone): "Sunday, 9 March 2025". */
export function formatDay(day: string): string {
  return LONG_DAY.format(new Date(`${day}T00:00:00Z`));
}

/** A month (YYYY-MM): "March 2025". */
export function formatMonth(month: string): string {
  return LONG_MONTH.format(new Date(`${month}-01T00:00:00Z`));
}
