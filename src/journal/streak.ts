// The writer's current streak: days in a row with at least one live entry, ending today or yesterday.
import type { Queryable } from '../db/db.js';

// The writer's distinct days up to a day, newest first, read in order from entries_user_day_idx.
// A year's worth at a time: most streaks end within the first read, a longer one reads on.
const DAYS_SQL = `SELECT day::text FROM (
  SELECT DISTINCT entry_date AS day FROM entries
   WHERE user_id = $1 AND deleted_at IS NULL AND entry_date <= $2::date
   ORDER BY entry_date DESC LIMIT $3) AS days`;
const CHUNK = 400;

/** The day before `day` (YYYY-MM-DD), years below 100 kept as written. */
export function dayBefore(day: string): string {
  const at = new Date(0);
  at.setUTCFullYear(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) - 1);
  return `${String(at.getUTCFullYear()).padStart(4, '0')}-${at.toISOString().slice(5, 10)}`;
}

/** `today` is the writer's day now (YYYY-MM-DD in their zone); entries' days are already theirs. */
export async function currentStreak(db: Queryable, userId: string, today: string): Promise<number> {
  let expected = today;
  let streak = 0;
  for (let from = today; ; ) {
    const days = (await db.query<{ day: string }>(DAYS_SQL, [userId, from, CHUNK], 'entries_streak_days')).rows.map((r) => r.day);
    for (const day of days) {
      // The streak may end yesterday: today need not be written yet.
      if (streak === 0 && day !== expected && day === dayBefore(today)) expected = day;
      if (day !== expected) return streak;
      streak += 1;
      expected = dayBefore(day);
    }
    if (days.length < CHUNK) return streak;
    from = expected;
  }
}
