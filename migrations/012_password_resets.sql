-- Password-reset links. A link carries the user id and a random 32-byte secret; only the SHA-256
-- of the secret is stored. A link works once (used_at), until expires_at, and dies early
-- (revoked_at) when another reset or a password change makes it stale.
CREATE TABLE password_resets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  ip text
);
CREATE UNIQUE INDEX password_resets_token_hash_key ON password_resets (token_hash);
-- The hourly mail cap counts a user's recent links.
CREATE INDEX password_resets_user_created_idx ON password_resets (user_id, created_at);
