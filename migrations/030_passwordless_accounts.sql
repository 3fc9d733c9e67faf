-- An account may be made with a passkey alone (DESIGN §12): it has no password until its owner
-- sets one, and a password check against NULL fails like a wrong password.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
