-- Sealed journals (DESIGN §16): the writing is ciphertext made in the browser; the server keeps
-- only wrapped copies of the journal key and each entry's sealed blob.

-- open: plaintext; sealed: every new write is sealed and the browser seals the rest in batches;
-- unsealing: the reverse, until no sealed entry is left.
ALTER TABLE users ADD COLUMN journal_state text NOT NULL DEFAULT 'open'
  CHECK (journal_state IN ('open', 'sealed', 'unsealing'));

-- base64 of iv (12 bytes) || AES-256-GCM ciphertext of {"title","body","tags","starred"}; NULL for
-- a plaintext entry. A sealed entry keeps its plaintext columns empty, so the generated search
-- columns index nothing of it.
ALTER TABLE entries ADD COLUMN sealed text;
ALTER TABLE entry_versions ADD COLUMN sealed text;

-- The journal key wrapped by each of the writer's secrets (a passkey's PRF, a passphrase, the
-- recovery key). Useless without the secret, which never reaches the server.
CREATE TABLE journal_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('passkey', 'passphrase', 'recovery')),
  wrapped_key text NOT NULL,
  salt text NOT NULL,
  params jsonb,
  credential_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX journal_keys_user_idx ON journal_keys (user_id, created_at);

-- The history records the sealed blob too, so a sealed entry's versions stay sealed.
CREATE OR REPLACE FUNCTION record_entry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entry_versions (user_id, entry_id, version, title, body, entry_date, tags, saved_at, sealed)
  VALUES (NEW.user_id, NEW.id, NEW.version, NEW.title, NEW.body, NEW.entry_date, NEW.tags, NEW.updated_at, NEW.sealed)
  ON CONFLICT (user_id, entry_id, version) DO NOTHING;
  RETURN NULL;
END
$$;
