-- A star on an entry: the few a writer wants to find again (/journal?starred=1). A constant
-- default adds the column without rewriting the table.
ALTER TABLE entries ADD COLUMN starred boolean NOT NULL DEFAULT false;

-- The starred list reads a writer's live starred entries by their day, as entries_user_day_idx
-- does for all of them; small, since few entries carry a star.
CREATE INDEX entries_user_starred_idx ON entries (user_id, entry_date DESC, created_at DESC, id DESC)
  WHERE deleted_at IS NULL AND starred;

-- The Markdown export reads every entry, trashed ones too, newest by the entry's own day, a page
-- at a time from the last one read (keyset): without this index each page re-sorts the journal.
CREATE INDEX entries_user_day_all_idx ON entries (user_id, entry_date DESC, created_at DESC, id DESC);
