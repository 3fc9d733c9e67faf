// The calendar: a year of days as month grids, each day shaded by how much was written on it.
import { Router } from 'express';
import { signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { escapeHtml } from '../http/views.js';
import { formatMonth, localDay } from '../time-zone.js';
import { currentStreak } from './streak.js';

export interface CalendarDay {
  /** YYYY-MM-DD */
  day: string;
  /** The day of the month, as the grid shows it. */
  date: number;
  entries: number;
  /** Characters of title and text written that day, over all its entries (of a sealed one, its size). */
  chars: number;
  /** 0 (nothing) to 4 (a long day): the shade of the day in the grid. */
  level: number;
  /** What a screen reader hears after the date: "March 2025: 2 entries, 1,234 characters". */
  label: string;
}

export interface CalendarMonth {
  /** YYYY-MM */
  month: string;
  /** "March 2025" */
  label: string;
  /** Monday-first weeks; null pads the days of the first and last week outside the month. */
  weeks: Array<Array<CalendarDay | null>>;
}

// Characters in a day from which it takes the next shade: a line, a paragraph, a page, more.
const LEVELS = [1, 500, 1500, 4000];

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export const levelOf = (chars: number) => LEVELS.filter((from) => chars >= from).length;

const YEAR_SQL = `
  SELECT entry_date::text AS day, count(*)::int AS entries, sum(chars)::int AS chars
    FROM entries WHERE user_id = $1 AND deleted_at IS NULL AND entry_date >= $2::date AND entry_date <= $3::date
   GROUP BY entry_date`;

// Both read the ends of entries_user_day_idx: two index probes, however big the journal.
const SPAN_SQL = `SELECT (SELECT min(entry_date) FROM entries WHERE user_id = $1 AND deleted_at IS NULL)::text AS first,
  (SELECT max(entry_date) FROM entries WHERE user_id = $1 AND deleted_at IS NULL)::text AS last`;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// One formatter for the whole process: Number#toLocaleString builds a new one per call (~100 µs),
// which over a year of days was most of the page's time.
/** 1234567 → "1,234,567" (Intl.NumberFormat took a third of the calendar's own time for 365 labels). */
export const formatCount = (n: number) => String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The day `d` of month `m` (0-11) of `year`, as a Date at midnight UTC; years below 100 stay themselves. */
function utcDay(year: number, m: number, d: number): Date {
  const at = new Date(0);
  at.setUTCFullYear(year, m, d);
  return at;
}

/** Twelve month grids for `year`, from the per-day totals the query gave. */
export function monthGrids(year: number, totals: ReadonlyMap<string, { entries: number; chars: number }>): CalendarMonth[] {
  return Array.from({ length: 12 }, (_, m) => {
    const month = `${pad(year, 4)}-${pad(m + 1)}`;
    const label = formatMonth(month);
    const lead = (utcDay(year, m, 1).getUTCDay() + 6) % 7;
    const length = utcDay(year, m + 1, 0).getUTCDate();
    const cells: Array<CalendarDay | null> = Array(lead).fill(null);
    for (let d = 1; d <= length; d++) {
      const day = `${month}-${pad(d)}`;
      const { entries, chars } = totals.get(day) ?? { entries: 0, chars: 0 };
      const said = `${label}: ${entries} entr${entries === 1 ? 'y' : 'ies'}, ${formatCount(chars)} characters`;
      cells.push({ day, date: d, entries, chars, level: entries > 0 ? Math.max(1, levelOf(chars)) : 0, label: entries > 0 ? said : '' });
    }
    while (cells.length % 7 !== 0) cells.push(null);
    const weeks = Array.from({ length: cells.length / 7 }, (_, w) => cells.slice(w * 7, w * 7 + 7));
    return { month, label, weeks };
  });
}

const WEEKDAY_ROW = `<thead><tr>${WEEKDAYS.map((long) => `<th scope="col"><abbr title="${long}">${long[0]}</abbr></th>`).join('')}</tr></thead>`;

/**
 * A month's table. Written here in one pass rather than cell by cell in EJS, where 365 cells of
 * interpolation and escaping were two thirds of the page's CPU. Every value in it is a number, a
 * checked YYYY-MM-DD day, or escaped.
 */
export function monthTableHtml(m: CalendarMonth, today: string): string {
  const rows = m.weeks.map((week) => {
    const cells = week.map((cell) => {
      if (!cell) return '<td></td>';
      const open = cell.day === today ? '<td class="today" aria-current="date">' : '<td>';
      if (cell.entries === 0) return `${open}${cell.date}</td>`;
      const label = escapeHtml(cell.label);
      return `${open}<a class="heat-${cell.level}" href="/journal?day=${cell.day}">${cell.date}<span class="visually-hidden"> ${label}</span></a></td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table class="month-grid"><caption>${escapeHtml(m.label)}</caption>${WEEKDAY_ROW}<tbody>${rows.join('')}</tbody></table>`;
}

/** ?year=YYYY (1 to 9999), or this year in the writer's zone when there is none. */
export function yearParam(value: unknown, thisYear: number): number {
  if (value === undefined || value === '') return thisYear;
  if (typeof value === 'string' && /^\d{4}$/.test(value) && value !== '0000') return Number(value);
  throw new AppError(400, 'year_invalid', 'The year must be written with four digits, such as 2025.', { year: 'YYYY' });
}

export async function calendarYear(db: Queryable, userId: string, year: number) {
  const [days, span] = await Promise.all([
    db.query<{ day: string; entries: number; chars: number }>(
      YEAR_SQL,
      [userId, `${pad(year, 4)}-01-01`, `${pad(year, 4)}-12-31`],
      'entries_calendar',
    ),
    db.query<{ first: string | null; last: string | null }>(SPAN_SQL, [userId], 'entries_span'),
  ]);
  const totals = new Map(days.rows.map((row) => [row.day, { entries: row.entries, chars: row.chars }]));
  const entries = days.rows.reduce((sum, row) => sum + row.entries, 0);
  const chars = days.rows.reduce((sum, row) => sum + row.chars, 0);
  const { first, last } = span.rows[0]!;
  return {
    months: monthGrids(year, totals),
    entries,
    chars,
    days: days.rows.length,
    firstYear: first ? Number(first.slice(0, 4)) : year,
    lastYear: last ? Number(last.slice(0, 4)) : year,
  };
}

/** Mounted behind requirePageAuth and loadTimeZone on /journal, before /journal/:id. */
export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/journal/calendar', async function showCalendar(req, res) {
    const today = localDay(new Date(ctx.now()), res.locals.timeZone ?? 'UTC');
    const year = yearParam(req.query.year, Number(today.slice(0, 4)));
    const { userId } = signInState(res);
    const [calendar, streak] = await Promise.all([calendarYear(ctx.db, userId, year), currentStreak(ctx.db, userId, today)]);
    const earliest = Math.min(calendar.firstYear, year);
    const latest = Math.max(calendar.lastYear, Number(today.slice(0, 4)), year);
    res.render('journal/calendar', {
      title: `Calendar ${year}`,
      formatCount,
      monthTableHtml,
      year,
      today,
      streak,
      ...calendar,
      previous: year > earliest ? year - 1 : undefined,
      next: year < latest ? year + 1 : undefined,
    });
  });
  return router;
}
