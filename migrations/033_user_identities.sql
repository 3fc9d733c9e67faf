-- Accounts at an OpenID Connect provider linked to a Smriti account (DESIGN §13). The provider's
-- (issuer, subject) pair is the identity; the email it reported is kept only to show on /account.
CREATE TABLE user_identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email text,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);

-- One "Continue with …" in progress: what the callback must check (state, nonce, PKCE verifier),
-- named by the SHA-256 of the random value in the browser's transient cookie. Spent once at the
-- callback. An identity whose email belongs to an existing account waits here (link_*) until that
-- account's owner signs in and confirms the link.
CREATE TABLE oidc_flows (
  handle_hash text PRIMARY KEY,
  state text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  intent text NOT NULL CHECK (intent IN ('sign_in', 'link', 'confirm')),
  -- link and confirm: the signed-in user who started it (from /account, or the step-up page)
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  shared boolean NOT NULL DEFAULT false,
  next text NOT NULL DEFAULT '/journal',
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  link_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  link_issuer text,
  link_subject text,
  link_email text,
  linked_at timestamptz
);
CREATE INDEX oidc_flows_expires_brin ON oidc_flows USING brin (expires_at);
