-- Passkeys (WebAuthn, DESIGN §12): only what verifies a signature is kept, the public key, never a
-- secret. The sign-in lookup names the user (from the assertion's user handle) and the credential.
CREATE TABLE webauthn_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id text NOT NULL,
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  transports text[] NOT NULL DEFAULT '{}',
  -- multiDevice: the authenticator may sync it (iCloud Keychain, Google Password Manager).
  device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up boolean NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  UNIQUE (user_id, credential_id)
);

-- One row per challenge handed out, kept as a SHA-256 digest: single-use (used_at), short-lived
-- (expires_at) and bound to its ceremony and, once signed in, to its user. A passkey-only
-- registration has no user yet: it keeps the address and the id the account will get.
CREATE TABLE webauthn_challenges (
  challenge_hash text PRIMARY KEY,
  ceremony text NOT NULL CHECK (ceremony IN ('sign_in', 'register', 'add', 'confirm')),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  new_user_id uuid,
  email text,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX webauthn_challenges_expires_brin ON webauthn_challenges USING brin (expires_at);
