-- Full-text search over entries: every word of title and body, case- and accent-insensitive.
--
-- The unaccent extension lives in one schema per database, so it is created in public (or found
-- wherever an administrator already installed it), never in the schema being migrated: a test
-- schema dropped with CASCADE would otherwise take the dictionary, and with it the search
-- configuration and column of every other schema in the same database.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- `simple` keeps every word as written (no stemming, no stop words: any language works); unaccent
-- first folds "Café" to "cafe". A text search configuration is data, so to_tsvector stays
-- IMMUTABLE and can feed a generated column, unlike the unaccent() function.
CREATE TEXT SEARCH CONFIGURATION smriti_search (COPY = pg_catalog.simple);
DO $$
DECLARE
  dictionary_schema text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent');
BEGIN
  EXECUTE format('ALTER TEXT SEARCH CONFIGURATION smriti_search
    ALTER MAPPING FOR word, numword, hword, numhword, hword_part, hword_numpart WITH %s.unaccent, pg_catalog.simple',
    dictionary_schema);
END
$$;

-- Kept current by PostgreSQL on every insert and update; filled for existing rows right here.
-- Title words weigh more (A) than body words (D) when ranking. A tsvector holds at most 1 MB, and
-- pathological text (distinct hyphenated fragments) needs up to about 4 bytes of it per byte, so a
-- body over 200 kB (only non-Latin text can be, at 200,000 characters) has its first 50,000
-- characters indexed instead of failing the save.
ALTER TABLE entries ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('smriti_search', title), 'A')
  || to_tsvector('smriti_search', CASE WHEN octet_length(body) <= 200000 THEN body ELSE left(body, 50000) END)
) STORED;

CREATE INDEX entries_search_idx ON entries USING gin (search_vector);
