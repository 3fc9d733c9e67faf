-- A writer's gentle reminder: an email at a chosen local time on chosen weekdays, sent only when
-- nothing was written that day. last_sent_day is the writer's own day of the last one sent: a process
-- claims a day by setting it (one UPDATE … WHERE last_sent_day IS DISTINCT FROM the day), so of any
-- number of app processes exactly one sends each day's email.
CREATE TABLE reminders (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  enabled boolean NOT NULL,
  local_time time NOT NULL,
  -- ISO weekdays: 1 is Monday, 7 is Sunday.
  weekdays smallint[] NOT NULL,
  last_sent_day date,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The scheduler reads only the reminders that are on.
CREATE INDEX reminders_enabled_idx ON reminders (user_id) WHERE enabled;
