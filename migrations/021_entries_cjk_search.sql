-- Search inside CJK sentences. Chinese and Japanese put no spaces between words, so the word parser
-- reads a whole sentence as one "word" and only its start is found. Every two adjacent CJK
-- characters (a bigram) of title and body are kept as well; a search for 日記 looks up 日記's
-- bigrams in the index, then checks that the word itself is in the text. Portable: no extension.
-- The character ranges are the ones src/journal/cjk.ts uses to cut the query the same way.
CREATE FUNCTION smriti_cjk_bigrams(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT substr(m.run[1], i, 2))), ''::tsvector)
    FROM regexp_matches(t, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]{2,}', 'g') AS m(run),
         generate_series(1, char_length(m.run[1]) - 1) AS i
$$;

-- A tsvector holds at most 1 MB: the first 20,000 characters of a body give at most 20,000 bigrams.
ALTER TABLE entries ADD COLUMN search_grams tsvector GENERATED ALWAYS AS (
  smriti_cjk_bigrams(title || E'\n' || left(body, 20000))
) STORED;

CREATE INDEX entries_search_grams_idx ON entries USING gin (search_grams);
