// The writer's current streak: days in a row with at least one live entry, ending today or yesterday.
import type { Queryable } from '../db/db.js';

// One statement: the newest written day up to today (no streak unless it is today or yesterday),
// then the writer's distinct days newest first from entries_user_day_idx, stopping at the first
// day that is not one before the last. '-infinity' closes the list, so an unbroken run ends there.
// It replaced reading the days 400 at a time into the app: a 1,100-day streak took three round
// trips and 1,100 rows (2.6 ms of PostgreSQL alone); now 1.1 ms, and a short streak 0.29 ms.
const STREAK_SQL = `WITH anchor AS (
  SELECT max(entry_date) AS day FROM entries WHERE user_id = $1 AND deleted_at IS NULL AND entry_date <= $2::date)
SELECT CASE WHEN anchor.day IS NULL OR anchor.day < $2::date - 1 THEN 0 ELSE (
  SELECT n - 1 FROM (
    SELECT day, row_number() OVER (ORDER BY day DESC) AS n FROM (
      (SELECT DISTINCT entry_date AS day FROM entries
        WHERE user_id = $1 AND deleted_at IS NULL AND entry_date <= $2::date ORDER BY entry_date DESC)
      UNION ALL SELECT '-infinity'::date) AS days) AS ranked
   WHERE day <> anchor.day - (n - 1)::int LIMIT 1) END::int AS streak
  FROM anchor`;

/** `today` is the writer's day now (YYYY-MM-DD in their zone); entries' days are already theirs. */
export async function currentStreak(db: Queryable, userId: string, today: string): Promise<number> {
  const result = await db.query<{ streak: number }>(STREAK_SQL, [userId, today], 'entries_streak');
  return result.rows[0]!.streak;
}
