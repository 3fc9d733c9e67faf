// The timeline (months with their counts) and "On this day" (the same day in earlier years).
import type { Queryable } from '../db/db.js';
import { formatDay, formatMonth } from '../time-zone.js';
import { ENTRY_COLUMNS, type Entry, type ListFilter } from './entries.js';

export interface MonthCount {
  /** YYYY-MM */
  month: string;
  count: number;
}

const ON_THIS_DAY_LIMIT = 10;

/** Every month the user wrote in, newest first, with how many live entries it holds. */
export async function monthsWithCounts(db: Queryable, userId: string): Promise<MonthCount[]> {
  const result = await db.query<MonthCount>(
    // Months as year × 100 + month: date_trunc went through timestamptz and the session's zone for
    // every row (1.07 → 0.71 ms for 1,100 entries).
    `SELECT lpad((m / 100)::text, 4, '0') || '-' || lpad((m % 100)::text, 2, '0') AS month, count::int AS count
       FROM (SELECT (date_part('year', entry_date) * 100 + date_part('month', entry_date))::int AS m, count(*) AS count
               FROM entries WHERE user_id = $1 AND deleted_at IS NULL GROUP BY 1) AS months
      ORDER BY m DESC`,
    [userId],
    'entries_months',
  );
  return result.rows;
}

/** Entries on today's month and day (YYYY-MM-DD in the writer's zone) in earlier years, newest first. */
export async function onThisDay(db: Queryable, userId: string, today: string): Promise<Entry[]> {
  const [, month, day] = today.split('-').map(Number);
  const result = await db.query<Entry>(
    `SELECT ${ENTRY_COLUMNS} FROM entries
      WHERE user_id = $1 AND deleted_at IS NULL
        AND extract(month FROM entry_date) = $2 AND extract(day FROM entry_date) = $3 AND entry_date < $4::date
      ORDER BY entry_date DESC, created_at DESC LIMIT $5`,
    [userId, month, day, today, ON_THIS_DAY_LIMIT],
    'entries_on_this_day',
  );
  return result.rows;
}

/** A month named in a URL (?month=YYYY-MM), or undefined when it is none. */
export function monthParam(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(value) || value === '0000') return undefined;
  return value.startsWith('0000') ? undefined : value;
}

/** The query string of a list with this filter, at page `page` ('' for the whole journal's first page). */
export function filterQuery(filter: ListFilter, page = 1): string {
  const params = new URLSearchParams();
  if (filter.month) params.set('month', filter.month);
  if (filter.day) params.set('day', filter.day);
  if (filter.tag) params.set('tag', filter.tag);
  if (filter.starred) params.set('starred', '1');
  if (page > 1) params.set('page', String(page));
  return params.toString();
}

/** What a list shows, in words: "Starred · #garden · 5 March 2025"; "Your journal" unfiltered. */
export function listTitle(filter: ListFilter): string {
  const parts = [
    filter.starred ? 'Starred' : '',
    filter.tag ? `#${filter.tag}` : '',
    filter.day ? formatDay(filter.day) : filter.month ? formatMonth(filter.month) : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'Your journal';
}
