-- The writer's time zone (an IANA name the browser reports at sign-in), for every date the server writes.
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

-- Every entry has a day of its own: the writer's local day, editable. Entries written before
-- there was one take the day they were written on in UTC, the only zone known for them.
ALTER TABLE entries ADD COLUMN entry_date date;
UPDATE entries SET entry_date = (created_at AT TIME ZONE 'UTC')::date;
ALTER TABLE entries ALTER COLUMN entry_date SET NOT NULL;
-- The app always names the day; rows written by other means get today in UTC.
ALTER TABLE entries ALTER COLUMN entry_date SET DEFAULT ((now() AT TIME ZONE 'UTC')::date);

-- Tags: lowercase words, from the tags field and from #word in the text.
ALTER TABLE entries ADD COLUMN tags text[] NOT NULL DEFAULT '{}';

-- A deleted entry waits in the trash for 30 days; deleted_at is when it went there.
ALTER TABLE entries ADD COLUMN deleted_at timestamptz;

-- The journal lists, the timeline and "On this day" read a user's live entries by their day.
CREATE INDEX entries_user_day_idx ON entries (user_id, entry_date DESC, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX entries_user_month_day_idx ON entries (user_id, (extract(month FROM entry_date)), (extract(day FROM entry_date)))
  WHERE deleted_at IS NULL;
-- The trash page reads a user's trashed entries; the pruner reads this small index whole.
CREATE INDEX entries_trash_idx ON entries (user_id, deleted_at DESC) WHERE deleted_at IS NOT NULL;

-- One GIN index over (user, tag): a tag filter reads only that user's entries with that tag, however
-- many other writers use the same word. btree_gin lets a GIN index hold the uuid; like unaccent it
-- lives in public, never in the schema being migrated.
CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public;
CREATE INDEX entries_user_tags_idx ON entries USING gin (user_id, tags) WHERE deleted_at IS NULL;
