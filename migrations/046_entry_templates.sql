-- A writer's templates: a name, and the title, text and tags a new entry started from one begins with.
CREATE TABLE entry_templates (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  title text NOT NULL DEFAULT '',
  body text NOT NULL DEFAULT '',
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, id)
);

-- Every writer starts with two templates of their own, which they may change or remove like any
-- other. Given here (to accounts that exist and to each new one), so no code path can miss them.
CREATE FUNCTION add_built_in_templates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO entry_templates (user_id, name, title, body, tags, created_at) VALUES
    (NEW.id, 'Gratitude list', 'Three good things',
     E'Three things I am grateful for today:\n\n1. \n2. \n3. \n', '{gratitude}', NEW.created_at),
    (NEW.id, 'Daily review', 'Daily review',
     E'## What happened\n\n\n## What went well\n\n\n## What I would do differently\n\n\n## Tomorrow\n\n', '{review}',
     NEW.created_at + interval '1 microsecond');
  RETURN NULL;
END
$$;

CREATE TRIGGER users_built_in_templates
  AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION add_built_in_templates();

INSERT INTO entry_templates (user_id, name, title, body, tags, created_at)
SELECT id, 'Gratitude list', 'Three good things', E'Three things I am grateful for today:\n\n1. \n2. \n3. \n', '{gratitude}', created_at
FROM users;
INSERT INTO entry_templates (user_id, name, title, body, tags, created_at)
SELECT id, 'Daily review', 'Daily review',
       E'## What happened\n\n\n## What went well\n\n\n## What I would do differently\n\n\n## Tomorrow\n\n', '{review}',
       created_at + interval '1 microsecond'
FROM users;
