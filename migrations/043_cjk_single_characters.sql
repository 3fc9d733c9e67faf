-- A single CJK character is a word of its own (金, 閣, 山), but only bigrams were indexed: 閣 at the
-- end of 金閣 was in no bigram that starts with it, and a lone 金 between Latin words in none at
-- all, so searching for one character found nothing. Each CJK character is now kept as well as each
-- bigram; the query side (src/journal/cjk.ts) cuts a one-character run to that character.
CREATE FUNCTION smriti_cjk_grams(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT g.gram)), ''::tsvector)
    FROM regexp_matches(t, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+', 'g') AS m(run),
         LATERAL (SELECT substr(m.run[1], i, 2) FROM generate_series(1, char_length(m.run[1]) - 1) AS i
                  UNION ALL
                  SELECT substr(m.run[1], i, 1) FROM generate_series(1, char_length(m.run[1])) AS i) AS g(gram)
$$;

-- A generated column's expression cannot be changed in place: the column (and its index) is made
-- again under the same name, filled for every row here. The first 20,000 characters give at most
-- 20,000 bigrams and as many characters, well inside a tsvector's 1 MB.
ALTER TABLE entries DROP COLUMN search_grams;
ALTER TABLE entries ADD COLUMN search_grams tsvector GENERATED ALWAYS AS (
  smriti_cjk_grams(title || E'\n' || left(body, 20000))
) STORED;
CREATE INDEX entries_search_grams_idx ON entries USING gin (user_id, search_grams) WHERE deleted_at IS NULL;

DROP FUNCTION smriti_cjk_bigrams(text);
