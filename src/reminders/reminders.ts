// The reminders table: each writer's settings, and the claim that makes one process send each day's email.
import type { Queryable } from '../db/db.js';

export interface ReminderSettings {
  enabled: boolean;
  /** HH:MM in the writer's own time zone. */
  time: string;
  /** ISO weekdays, 1 (Monday) to 7 (Sunday). */
  weekdays: number[];
}

export const DEFAULT_SETTINGS: ReminderSettings = { enabled: false, time: '21:00', weekdays: [1, 2, 3, 4, 5, 6, 7] };

const SETTINGS = `enabled, to_char(local_time, 'HH24:MI') AS time, weekdays::int[] AS weekdays`;

/** Whether reminders can reach the writer: only a verified address is sent them. */
export async function emailVerified(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query<{ verified: boolean }>(`SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1`, [
    userId,
  ]);
  return result.rows[0]?.verified ?? false;
}

export async function findSettings(db: Queryable, userId: string): Promise<ReminderSettings | undefined> {
  const result = await db.query<ReminderSettings>(`SELECT ${SETTINGS} FROM reminders WHERE user_id = $1`, [userId]);
  return result.rows[0];
}

export async function saveSettings(db: Queryable, userId: string, settings: ReminderSettings, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO reminders (user_id, enabled, local_time, weekdays, updated_at) VALUES ($1, $2, $3::time, $4::smallint[], $5)
     ON CONFLICT (user_id) DO UPDATE SET enabled = $2, local_time = $3::time, weekdays = $4::smallint[], updated_at = $5`,
    [userId, settings.enabled, settings.time, settings.weekdays, at],
  );
}

/** The one-click unsubscribe: turns the reminder off, keeping its time and days for a later "on". */
export async function turnOff(db: Queryable, userId: string, at: Date): Promise<void> {
  await db.query(`UPDATE reminders SET enabled = false, updated_at = $2 WHERE user_id = $1 AND enabled`, [userId, at]);
}

/** A reminder that is on, with what deciding whether it is due needs. */
export interface ActiveReminder extends ReminderSettings {
  userId: string;
  email: string;
  timeZone: string;
  lastSentDay: string | null;
}

/**
 * Every writer's reminder that is on, to a verified address (else anyone could have a stranger
 * mailed daily): the scheduler's own read across users, as the pruner's is.
 */
export async function activeReminders(db: Queryable): Promise<ActiveReminder[]> {
  const result = await db.query<ActiveReminder>(
    `SELECT r.user_id AS "userId", u.email, u.time_zone AS "timeZone", r.enabled, to_char(r.local_time, 'HH24:MI') AS time,
            r.weekdays::int[] AS weekdays, r.last_sent_day::text AS "lastSentDay"
     FROM reminders r JOIN users u ON u.id = r.user_id WHERE r.enabled AND u.email_verified_at IS NOT NULL`,
  );
  return result.rows;
}

/** Whether the writer wrote on `day`: an entry dated that day, or one saved since `since` on that day. */
export async function wroteOn(
  db: Queryable,
  userId: string,
  day: string,
  since: Date,
): Promise<Array<{ entryDate: string; updatedAt: Date }>> {
  const result = await db.query<{ entryDate: string; updatedAt: Date }>(
    `SELECT entry_date::text AS "entryDate", updated_at AS "updatedAt" FROM entries
     WHERE user_id = $1 AND deleted_at IS NULL AND (entry_date = $2::date OR updated_at >= $3) LIMIT 50`,
    [userId, day, since],
  );
  return result.rows;
}

/**
 * Claims `day`'s email for this process: true for exactly one caller however many race, and
 * never for a reminder turned off meanwhile.
 */
export async function claimDay(db: Queryable, userId: string, day: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE reminders SET last_sent_day = $2::date
     WHERE user_id = $1 AND enabled AND last_sent_day IS DISTINCT FROM $2::date RETURNING user_id`,
    [userId, day],
  );
  return result.rowCount > 0;
}
