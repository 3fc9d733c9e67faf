-- Every saved version of an entry, so a writer can see what changed and bring an older one back.
-- A trigger records each version as it is written (the form, the JSON API, import, a restore), so
-- no path that writes an entry can skip its history. The trash and restoring from it change no
-- version and record nothing. Deleting an entry for good deletes its history with it.
CREATE TABLE entry_versions (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  entry_id uuid NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  version integer NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  entry_date date NOT NULL,
  tags text[] NOT NULL,
  saved_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, entry_id, version)
);

CREATE FUNCTION record_entry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entry_versions (user_id, entry_id, version, title, body, entry_date, tags, saved_at)
  VALUES (NEW.user_id, NEW.id, NEW.version, NEW.title, NEW.body, NEW.entry_date, NEW.tags, NEW.updated_at)
  ON CONFLICT (user_id, entry_id, version) DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER entries_version_written
  AFTER INSERT ON entries
  FOR EACH ROW EXECUTE FUNCTION record_entry_version();

CREATE TRIGGER entries_version_changed
  AFTER UPDATE ON entries
  FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version) EXECUTE FUNCTION record_entry_version();

-- Entries written before there was a history start it with the version they are at now.
INSERT INTO entry_versions (user_id, entry_id, version, title, body, entry_date, tags, saved_at)
SELECT user_id, id, version, title, body, entry_date, tags, updated_at FROM entries;
