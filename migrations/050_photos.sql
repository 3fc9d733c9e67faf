-- Photos of a journal (DESIGN §17): a display size and a thumbnail per photo, in the database so
-- one backup holds the whole journal. Keyed by the user, as every per-user table (§10).
CREATE TABLE photos (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- The entry whose text refers to it; a photo goes to the trash, comes back and is deleted with it.
  entry_id uuid REFERENCES entries (id) ON DELETE CASCADE,
  content_type text NOT NULL,
  width integer NOT NULL,
  height integer NOT NULL,
  display bytea NOT NULL,
  thumb bytea NOT NULL,
  thumb_type text NOT NULL,
  -- display + thumb: what the account's quota counts.
  bytes bigint NOT NULL,
  -- What an import matched it by (a Day One photo's identifier), so importing twice adds nothing.
  source text,
  created_at timestamptz NOT NULL,
  -- Set while no entry refers to it; the pruner deletes it a day later.
  unreferenced_since timestamptz,
  PRIMARY KEY (user_id, id)
);
-- Already-compressed image bytes: PostgreSQL's own compression would only spend time on them.
ALTER TABLE photos ALTER COLUMN display SET STORAGE EXTERNAL;
ALTER TABLE photos ALTER COLUMN thumb SET STORAGE EXTERNAL;
CREATE INDEX photos_entry_idx ON photos (user_id, entry_id, created_at);
CREATE INDEX photos_unreferenced_idx ON photos (unreferenced_since) WHERE unreferenced_since IS NOT NULL;
