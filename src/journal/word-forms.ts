// Word forms for search: the stems PostgreSQL's Snowball dictionaries give ("walking" → "walk"),
// searched as prefixes of the words indexed as written, so "walking" finds "walked".
import type { Queryable } from '../db/db.js';

/** The stems of each search word that differ from it, by word. */
export type WordForms = Map<string, string[]>;

// ISO 639-1 codes and the Snowball dictionary of that language every PostgreSQL since 9 ships.
const DICTIONARIES: Record<string, string> = {
  da: 'danish_stem',
  de: 'german_stem',
  es: 'spanish_stem',
  fi: 'finnish_stem',
  fr: 'french_stem',
  hu: 'hungarian_stem',
  it: 'italian_stem',
  nb: 'norwegian_stem',
  nl: 'dutch_stem',
  nn: 'norwegian_stem',
  no: 'norwegian_stem',
  pt: 'portuguese_stem',
  ro: 'romanian_stem',
  ru: 'russian_stem',
  sv: 'swedish_stem',
  tr: 'turkish_stem',
};

/** The first of the reader's languages (Accept-Language, best first) with a dictionary, if any. */
export function searchLanguage(languages: readonly string[]): string | undefined {
  return languages.map((tag) => tag.toLowerCase().split('-')[0]!).find((code) => code in DICTIONARIES && code !== 'en');
}

// Only plain words of letters are stemmed; a stem under three letters would, as a prefix, read much
// of the index ("as" → "a"), and a stem is put in a tsquery in quotes, so it must be letters only.
const STEMMABLE = /^[\p{L}\p{M}]{3,}$/u;
const STEM = /^[\p{L}\p{M}]{3,}$/u;

export async function wordForms(db: Queryable, words: readonly string[], language?: string): Promise<WordForms> {
  const stemmable = words.filter((word) => STEMMABLE.test(word));
  if (stemmable.length === 0) return new Map();
  const own = language ? (DICTIONARIES[language] ?? null) : null;
  const result = await db.query<{ word: string; english: string[] | null; own: string[] | null }>(
    `SELECT w AS word, ts_lexize('english_stem', lower(w)) AS english,
            CASE WHEN $2::text IS NULL THEN NULL ELSE ts_lexize($2::text::regdictionary, lower(w)) END AS own
       FROM unnest($1::text[]) AS w`,
    [stemmable, own],
    'search_word_forms',
  );
  const forms: WordForms = new Map();
  for (const row of result.rows) {
    const stems = [...new Set([...(row.english ?? []), ...(row.own ?? [])])].filter(
      (stem) => STEM.test(stem) && stem !== row.word.toLowerCase(),
    );
    if (stems.length > 0) forms.set(row.word, stems);
  }
  return forms;
}
