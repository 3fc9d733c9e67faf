-- Rate-limit counters (sign-in per IP and per email, registration per IP), one fixed window per key,
-- shared by every app process on this database. `key` is the limit's name and a digest of the client.
-- UNLOGGED: no WAL, so a check costs one round trip and no disk flush; after a PostgreSQL crash (or
-- on a promoted replica) the counters start again from zero, which is fine for a rate limit.
CREATE UNLOGGED TABLE rate_limits (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  reset_at timestamptz NOT NULL
);
CREATE INDEX rate_limits_reset_at_idx ON rate_limits (reset_at);
