-- An entry's day is between 0001-01-01 and 9999-12-31, as the form, the API and import accept.
-- Imports before this could store the day after 9999-12-31 (a late time in a zone ahead of UTC),
-- which every page showing it failed on: such a day moves to the nearest one in range, then the
-- constraint keeps any later write, by any path, in range. A few rows at most are rewritten.
UPDATE entries SET entry_date = '9999-12-31' WHERE entry_date > '9999-12-31';
UPDATE entries SET entry_date = '0001-01-01' WHERE entry_date < '0001-01-01';
ALTER TABLE entries ADD CONSTRAINT entries_entry_date_range CHECK (entry_date BETWEEN '0001-01-01' AND '9999-12-31');
