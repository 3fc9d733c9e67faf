-- One row per refresh token ever issued. A family (family_id = the session id, `sid`)
-- is one sign-in; rotation adds a row to it. Only the SHA-256 of a token is stored.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  jti uuid NOT NULL,
  family_id uuid NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  is_valid boolean NOT NULL DEFAULT true,
  used_at timestamptz,
  replaced_by uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  revoked_at timestamptz,
  revoked_reason text,
  user_agent text,
  ip text
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE UNIQUE INDEX refresh_tokens_jti_key ON refresh_tokens (jti);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id, expires_at);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
