// The writer's current streak: days in a row with at least one live entry, ending today or yesterday.
import type { Queryable } from '../db/db.js';

// One index probe per day of the streak (entries_user_day_idx), so the cost follows the streak's
// length, not the journal's. A streak that ended before yesterday is no current streak: 0.
const STREAK_SQL = `
  WITH RECURSIVE run(day) AS (
    SELECT max(entry_date) FROM entries
     WHERE user_id = $1 AND deleted_at IS NULL AND entry_date BETWEEN $2::date - 1 AND $2::date
    UNION ALL
    SELECT run.day - 1 FROM run
     WHERE EXISTS (SELECT 1 FROM entries WHERE user_id = $1 AND deleted_at IS NULL AND entry_date = run.day - 1)
  )
  SELECT count(day)::int AS days FROM run`;

/** `today` is the writer's day now (YYYY-MM-DD in their zone); entries' days are already theirs. */
export async function currentStreak(db: Queryable, userId: string, today: string): Promise<number> {
  const result = await db.query<{ days: number }>(STREAK_SQL, [userId, today], 'entries_streak');
  return result.rows[0]!.days;
}
