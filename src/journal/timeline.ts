// The timeline (months with their counts) and "On this day" (the same day in earlier years).
import type { Queryable } from '../db/db.js';
import { ENTRY_COLUMNS, type Entry } from './entries.js';

export interface MonthCount {
  /** YYYY-MM */
  month: string;
  count: number;
}

const ON_THIS_DAY_LIMIT = 10;

/** Every month the user wrote in, newest first, with how many live entries it holds. */
export async function monthsWithCounts(db: Queryable, userId: string): Promise<MonthCount[]> {
  const result = await db.query<MonthCount>(
    `SELECT to_char(date_trunc('month', entry_date), 'YYYY-MM') AS month, count(*)::int AS count
       FROM entries WHERE user_id = $1 AND deleted_at IS NULL
      GROUP BY date_trunc('month', entry_date) ORDER BY date_trunc('month', entry_date) DESC`,
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
