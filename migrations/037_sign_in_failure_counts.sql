-- Failed sign-ins per account (by normalised email, known or not) as one counter per account and
-- window, replacing a row per failure. A check takes its try with one atomic upsert before the
-- password or code is checked and gives it back if it was right, so concurrent guesses can never
-- pass the limit (DESIGN §8); counting rows, then adding one after the check, let a burst through.
CREATE TABLE sign_in_failure_counts (
  email text PRIMARY KEY,
  failures integer NOT NULL,
  reset_at timestamptz NOT NULL
);
CREATE INDEX sign_in_failure_counts_reset_at_idx ON sign_in_failure_counts (reset_at);

-- Failures still inside the default 15-minute window carry over, so upgrading frees no account.
INSERT INTO sign_in_failure_counts (email, failures, reset_at)
SELECT email, count(*)::int, min(failed_at) + interval '15 minutes'
  FROM sign_in_failures
 WHERE failed_at > now() - interval '15 minutes'
 GROUP BY email;

DROP TABLE sign_in_failures;
