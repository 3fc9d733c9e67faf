-- Verified email (DESIGN §13). NULL: the owner has not yet opened a link sent to the address.
ALTER TABLE users ADD COLUMN IF NOT EXISTS email_verified_at timestamptz;

-- Accounts made through an OpenID Connect provider have no password. The passkeys migration (030)
-- makes the same change; DROP NOT NULL on a column that allows NULL already is a no-op.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- Accounts from before this migration stay unverified (a typo'd address must not receive reset
-- links), except those whose owner already opened a reset link: that proved the mailbox, and the
-- address could not be changed before now.
UPDATE users u SET email_verified_at = r.first_used
  FROM (SELECT user_id, min(used_at) AS first_used FROM password_resets WHERE used_at IS NOT NULL GROUP BY user_id) r
 WHERE r.user_id = u.id AND u.email_verified_at IS NULL;

-- Links that prove an address: `verify` (the account's own address) and `change` (a new address,
-- which becomes the account's when its link is opened). Like password_resets, a link carries the
-- user id and a random secret, and only the secret's SHA-256 is stored.
CREATE TABLE email_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify', 'change')),
  email text NOT NULL,
  token_hash text NOT NULL,
  -- change: the session that asked, kept when the other sessions end
  session_id uuid,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX email_links_token_hash_key ON email_links (token_hash);
-- The resend cap counts a user's recent links.
CREATE INDEX email_links_user_created_idx ON email_links (user_id, created_at);
