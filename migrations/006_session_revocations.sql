-- Sessions ended within the last access lifetime are announced to every app process, which then
-- refuses their access tokens without a database read. This table is what a process reloads at
-- start and after its listening connection comes back. No foreign key to users: a deleted
-- account's sessions must stay refused after its rows are gone. Pruned with the expired tokens.
CREATE TABLE session_revocations (
  user_id uuid NOT NULL,
  family_id uuid NOT NULL,
  revoked_at timestamptz NOT NULL
);
CREATE INDEX session_revocations_revoked_at_idx ON session_revocations (revoked_at);

-- Ends sessions of one user: one family (p_only_family), or every family but p_keep_family (either
-- may be NULL). Revokes their refresh tokens, records them above and announces them on the
-- smriti_revocations channel; NOTIFY is delivered only if the transaction commits, so a revocation
-- that rolls back is never announced. Returns the families ended.
CREATE FUNCTION end_sessions(p_user_id uuid, p_reason text, p_at timestamptz, p_only_family uuid, p_keep_family uuid)
RETURNS uuid[] LANGUAGE plpgsql AS $$
DECLARE
  ended uuid[];
  batch_start int;
BEGIN
  -- Every change to a user's families holds this lock, so no rotation can mint into a family
  -- while it is being ended.
  PERFORM pg_advisory_xact_lock(hashtextextended('smriti:user:' || p_user_id, 0));
  WITH revoked AS (
    UPDATE refresh_tokens SET is_valid = false, revoked_at = p_at, revoked_reason = p_reason
     WHERE user_id = p_user_id AND revoked_at IS NULL
       AND (p_only_family IS NULL OR family_id = p_only_family)
       AND (p_keep_family IS NULL OR family_id <> p_keep_family)
    RETURNING family_id)
  SELECT coalesce(array_agg(DISTINCT family_id), '{}') INTO ended FROM revoked;
  IF cardinality(ended) = 0 THEN
    RETURN ended;
  END IF;
  INSERT INTO session_revocations (user_id, family_id, revoked_at) SELECT p_user_id, unnest(ended), p_at;
  -- A NOTIFY payload must stay under 8000 bytes: at most 100 session ids in each.
  FOR batch_start IN 1 .. cardinality(ended) BY 100 LOOP
    PERFORM pg_notify('smriti_revocations', json_build_object(
      'at', floor(extract(epoch FROM p_at) * 1000),
      'sessions', ended[batch_start : batch_start + 99])::text);
  END LOOP;
  RETURN ended;
END $$;
