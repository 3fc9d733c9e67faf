-- Every change to a user row (email, password, deletion, any column another feature adds) is
-- announced on the revocation channel when its transaction commits, so each app process drops its
-- cached copy of the row (src/auth/user-cache.ts) within a moment, as it learns of ended sessions.
-- The payload is a revocation notice with no sessions: processes that predate it ignore the users.
CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('smriti_revocations', json_build_object(
    'at', floor(extract(epoch FROM clock_timestamp()) * 1000),
    'sessions', json_build_array(),
    'users', json_build_array(OLD.id))::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER users_changed_notify
  AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_user_changed();
