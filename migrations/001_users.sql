CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique whatever their case: Ann@x.org and ann@x.org are one account.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
