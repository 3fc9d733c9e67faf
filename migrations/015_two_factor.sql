-- Two-step sign-in (DESIGN §11). An authenticator app's secret cannot be hashed (the server must
-- compute codes from it), so it is stored encrypted with a key derived from JWT_SECRET;
-- last_time_step refuses a code of the same or an older 30 s step again (RFC 6238 §5.2).
-- enabled_at stays NULL while the owner is still setting it up.
CREATE TABLE totp_credentials (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_encrypted text NOT NULL,
  last_time_step bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  enabled_at timestamptz
);

-- Recovery codes: random, so a SHA-256 digest is enough to keep them from being read back.
CREATE TABLE recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- A password accepted, a second factor awaited: each row is one pending sign-in token's state,
-- so five wrong codes end it on every process and a right one is spent once.
CREATE TABLE pending_sign_ins (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  failures int NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX pending_sign_ins_user_idx ON pending_sign_ins (user_id);
CREATE INDEX pending_sign_ins_expires_brin ON pending_sign_ins USING brin (expires_at);
