-- A refresh token of a session that was ended says how it ended: 'revoked' when its owner ended it
-- on purpose (signed out, revoked it, changed or reset the password), 'revoked_theft' when the
-- family was ended because a spent token came back. Before, both answered 'invalid'.
CREATE OR REPLACE FUNCTION rotate_refresh_token(
  p_user_id uuid, p_family_id uuid, p_presented_hash text, p_now timestamptz, p_grace interval,
  p_new_id uuid, p_new_hash text, p_new_jti uuid, p_issued_at timestamptz, p_expires_at timestamptz,
  p_user_agent text, p_ip text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  presented record;
  outcome text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('smriti:user:' || p_user_id, 0));
  SELECT family_id, used_at, revoked_at, revoked_reason INTO presented FROM refresh_tokens
   WHERE token_hash = p_presented_hash AND user_id = p_user_id
     FOR UPDATE;
  IF NOT FOUND OR presented.family_id <> p_family_id THEN
    RETURN 'invalid';
  END IF;
  IF presented.revoked_at IS NOT NULL THEN
    RETURN CASE presented.revoked_reason WHEN 'refresh_reuse_detected' THEN 'revoked_theft' ELSE 'revoked' END;
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
