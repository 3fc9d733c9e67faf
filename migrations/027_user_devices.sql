-- The browsers each account has signed in from, named by the smriti_device cookie. Only a digest of
-- the cookie's random id (with the user id) is kept: no user agent, no address, nothing personal.
-- new_device_emailed_at: when the owner was last told about this device (at most once a day).
CREATE TABLE user_devices (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_hash text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  new_device_emailed_at timestamptz,
  PRIMARY KEY (user_id, device_hash)
);
CREATE INDEX user_devices_last_seen_idx ON user_devices (last_seen_at);
