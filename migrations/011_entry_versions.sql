-- Every entry carries a version, 1 when written and one more on every change, so a save made
-- from a stale copy (another tab, another device) can be refused instead of overwriting.
-- Rows already present start at 1; a constant default fills them without rewriting the table.
ALTER TABLE entries ADD COLUMN version integer NOT NULL DEFAULT 1;
