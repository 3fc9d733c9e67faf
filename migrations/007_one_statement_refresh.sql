-- Every refresh inserts a row here, and each index is one more write per refresh. Keep the ones a
-- query needs: the token's hash (the lookup), (user, family) for spending, ending and listing
-- sessions, and a BRIN index for pruning by expiry (rows arrive in expiry order). A jti that is a
-- random UUID needs no unique index to stay unique. replaced_by stays a plain pointer: as a
-- foreign key it made every pruned row look for rows pointing at it, through no index.
DROP INDEX refresh_tokens_jti_key;
DROP INDEX refresh_tokens_family_idx;
DROP INDEX refresh_tokens_user_idx;
DROP INDEX refresh_tokens_expires_idx;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_replaced_by_fkey;
CREATE INDEX refresh_tokens_user_family_idx ON refresh_tokens (user_id, family_id);
CREATE INDEX refresh_tokens_expires_brin ON refresh_tokens USING brin (expires_at);

-- One refresh in one statement (one round trip): under the user's lock, find the presented token
-- and answer 'invalid', 'reused' (after the grace window: the family is ended), 'grace' (a sibling
-- is minted) or 'ok' (the family's live tokens are spent and the successor inserted). The audit
-- row commits with it.
CREATE FUNCTION rotate_refresh_token(
  p_user_id uuid, p_family_id uuid, p_presented_hash text, p_now timestamptz, p_grace interval,
  p_new_id uuid, p_new_hash text, p_new_jti uuid, p_issued_at timestamptz, p_expires_at timestamptz,
  p_user_agent text, p_ip text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  presented record;
  outcome text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('smriti:user:' || p_user_id, 0));
  SELECT family_id, used_at, revoked_at INTO presented FROM refresh_tokens
   WHERE token_hash = p_presented_hash AND user_id = p_user_id
     FOR UPDATE;
  IF NOT FOUND OR presented.family_id <> p_family_id OR presented.revoked_at IS NOT NULL THEN
    RETURN 'invalid';
  END IF;
  IF presented.used_at IS NOT NULL AND p_now - presented.used_at > p_grace THEN
    PERFORM end_sessions(p_user_id, 'refresh_reuse_detected', p_now, p_family_id, NULL);
    INSERT INTO audit_events (user_id, type, session_id, ip, user_agent, created_at)
    VALUES (p_user_id, 'refresh_reuse_detected', p_family_id, p_ip, p_user_agent, p_now);
    RETURN 'reused';
  END IF;
  IF presented.used_at IS NULL THEN
    outcome := 'ok';
    -- The presented token, and any sibling minted in an earlier grace window, are spent.
    UPDATE refresh_tokens SET is_valid = false, used_at = p_now, replaced_by = p_new_id
     WHERE user_id = p_user_id AND family_id = p_family_id AND is_valid AND used_at IS NULL;
  ELSE
    -- Two tabs, or two requests in flight, sent the same token: a sibling in the same family.
    outcome := 'grace';
  END IF;
  INSERT INTO refresh_tokens (id, user_id, token_hash, jti, family_id, issued_at, expires_at, user_agent, ip)
  VALUES (p_new_id, p_user_id, p_new_hash, p_new_jti, p_family_id, p_issued_at, p_expires_at, p_user_agent, p_ip);
  INSERT INTO audit_events (user_id, type, session_id, ip, user_agent, detail, created_at)
  VALUES (p_user_id, 'token_refreshed', p_family_id, p_ip, p_user_agent,
          CASE outcome WHEN 'grace' THEN '{"grace": true}'::jsonb ELSE '{}'::jsonb END, p_now);
  RETURN outcome;
END $$;
