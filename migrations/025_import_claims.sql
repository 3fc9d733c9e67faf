-- One import at a time per account, across every app process: an import claims its user's row
-- before it reads the upload, and a second one finds the row taken and is refused at once (409)
-- instead of holding a pooled connection while it waits. A claim left by a crashed process lapses
-- at expires_at. UNLOGGED: after a PostgreSQL crash every claim is gone, which only frees them early.
CREATE UNLOGGED TABLE import_claims (
  user_id uuid PRIMARY KEY,
  claim_id uuid NOT NULL,
  expires_at timestamptz NOT NULL
);
