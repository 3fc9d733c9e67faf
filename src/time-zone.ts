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

// en-CA writes YYYY-MM-DD, but with the year unpadded ("1-01-12") and no era (1 BC reads as 1 AD).
// Days from the year 1000 on (two days' margin for the zones) take the fast path; earlier ones are
// built from their parts.
const PADDED_FROM = Date.UTC(1000, 0, 3);
const eraDayFormat = (timeZone: string) =>
  formatter(`era-day ${timeZone}`, 'en-CA', { timeZone, era: 'short', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The calendar day (YYYY-MM-DD) a moment falls on in a zone. A year outside 1 to 9999 comes out
 * as it is ("10000-01-01", "0000-12-31" for 1 BC), which isDay refuses: callers check.
 */
export function localDay(at: Date, timeZone: string): string {
  if (at.getTime() >= PADDED_FROM) return dayFormat(timeZone).format(at);
  const parts = Object.fromEntries(
    eraDayFormat(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  return `${year < 0 ? '-' : ''}${String(Math.abs(year)).padStart(4, '0')}-${parts.month}-${parts.day}`;
}

/** A YYYY-MM-DD day (or with `month`, a YYYY-MM month's first day) as midnight UTC; undefined when it is none. */
function utcDay(text: string, month = false): Date | undefined {
  const match = (month ? /^(\d{4,6})-(\d{2})()$/ : /^(\d{4,6})-(\d{2})-(\d{2})$/).exec(text);
  if (!match) return undefined;
  const [year, monthNumber, day] = [Number(match[1]), Number(match[2]), Number(match[3] || '1')];
  const at = new Date(Date.UTC(2000, monthNumber - 1, day));
  at.setUTCFullYear(year); // Date.UTC reads the years 0 to 99 as 1900 to 1999
  const same = at.getUTCFullYear() === year && at.getUTCMonth() === monthNumber - 1 && at.getUTCDate() === day;
  return year > 0 && same ? at : undefined;
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

/**
 * A calendar day (YYYY-MM-DD, no zone): "Sunday, 9 March 2025". Whatever an old row holds
 * ("10000-01-01", "infinity") is shown as it is rather than failing the page.
 */
export function formatDay(day: string): string {
  return remembered(days, day, () => {
    const at = utcDay(day);
    return at ? LONG_DAY.format(at) : day;
  });
}

/** A month (YYYY-MM): "March 2025"; anything else as it is. */
export function formatMonth(month: string): string {
  return remembered(months, month, () => {
    const at = utcDay(month, true);
    return at ? LONG_MONTH.format(at) : month;
  });
}

// A day's words never change, and a page shows dozens (2 µs each through Intl, a tenth of the
// journal page's own time): each is kept, up to a few thousand.
const WORDS_MAX = 4000;
const days = new Map<string, string>();
const months = new Map<string, string>();
function remembered(held: Map<string, string>, key: string, words: () => string): string {
  let said = held.get(key);
  if (said === undefined) {
    said = words();
    if (held.size >= WORDS_MAX) held.clear();
    held.set(key, said);
  }
  return said;
}
