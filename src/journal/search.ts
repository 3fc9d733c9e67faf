// Full-text search over a user's entries: the words of a query, the SQL, and the marked-up excerpts.
import type { Queryable } from '../db/db.js';
import { bigramTsquery, excerptAround, hasCjkRun, markWords, type TextPart } from './cjk.js';
import { ENTRY_COLUMNS, type Entry, PAGE_SIZE } from './entries.js';
import { type SearchFilter, whereFiltered } from './search-filters.js';
import { type WordForms, wordForms } from './word-forms.js';

export const SEARCH_MAX_CHARS = 200;
export const SEARCH_MAX_WORDS = 10;
/**
 * How many of the newest matching entries are ranked: the bound that keeps a search over a journal
 * of millions short (a common word stops after this many, read newest first through the user's
 * index), and the most `total` can say.
 */
export const SEARCH_MAX_CANDIDATES = 1000;

// A word is letters, marks and digits, optionally joined by - . @ / _ (e-mail, 3.5, example.com), as
// PostgreSQL's parser reads them. Nothing else of the query (quotes, backslashes, & | ! ( ) : *)
// can reach the tsquery, which is why building it from these words is safe.
const WORD = /[\p{L}\p{M}\p{N}]+(?:[-.@/_][\p{L}\p{M}\p{N}]+)*/gu;

export type SearchQuery = { kind: 'words'; words: string[]; excluded: string[] } | { kind: 'invalid'; message: string };

/**
 * The distinct words of a query, and those written with a minus in front ("-rain"), which leave
 * entries out; or why it cannot be searched. May be no words (only punctuation).
 */
export function parseSearch(q: unknown): SearchQuery {
  if (typeof q !== 'string') return { kind: 'invalid', message: 'Search for one piece of text.' };
  if (q.length > SEARCH_MAX_CHARS) {
    return { kind: 'invalid', message: `Keep the search under ${SEARCH_MAX_CHARS} characters.` };
  }
  const text = q.normalize('NFC');
  const words = new Set<string>();
  const excluded = new Set<string>();
  for (const match of text.matchAll(WORD)) {
    const minus = text[match.index - 1] === '-' && (match.index === 1 || /\s/.test(text[match.index - 2]!));
    (minus ? excluded : words).add(match[0]);
  }
  if (words.size + excluded.size > SEARCH_MAX_WORDS) {
    return { kind: 'invalid', message: `Search for at most ${SEARCH_MAX_WORDS} words at a time.` };
  }
  if (words.size === 0 && excluded.size > 0) {
    return { kind: 'invalid', message: 'Add a word to find: a word after a minus only leaves entries out.' };
  }
  return { kind: 'words', words: [...words], excluded: [...excluded] };
}

// One letter of an alphabet with letter case ("a", "é", "ж") starts a good share of all words: as a
// prefix it would read most of the index. It matches only itself; "東" or "न" stay prefixes.
const SINGLE_CASED_LETTER = /^[\p{Lu}\p{Ll}\p{Lt}]\p{M}*$/u;

/** One word: as a whole word or the start of one ("riv" finds "river"), or as the start of any of its stems. */
function wordTsquery(word: string, stems: readonly string[]): string {
  if (SINGLE_CASED_LETTER.test(word)) return `'${word}'`;
  // A stem that starts the word ("garden" of "gardens") finds all the word finds, and more.
  const lower = word.toLowerCase();
  const alternatives = [...new Set([...(stems.some((stem) => lower.startsWith(stem)) ? [] : [word]), ...stems])];
  const parts = alternatives.map((alternative) => `'${alternative}':*`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' | ')})`;
}

/**
 * Every word must appear, in one of its forms ("walking" finds "walked": the stem "walk" as a
 * prefix); no excluded word may. Stems come from PostgreSQL's dictionaries (word-forms.ts).
 */
export function toTsquery(words: readonly string[], forms: WordForms = new Map(), excluded: readonly string[] = []): string {
  const found = words.map((word) => wordTsquery(word, forms.get(word) ?? []));
  const left = excluded.map((word) => `!${wordTsquery(word, forms.get(word) ?? [])}`);
  return [...found, ...left].join(' & ');
}

// Markers ts_headline puts around matched words. Control characters the text itself may hold are
// removed first, so every marker in the result is one of ours.
const START = '\u0002';
const STOP = '\u0003';
const EXCERPT_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=12, ShortWord=0, MaxFragments=2, FragmentDelimiter=" … "`;
const TITLE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, HighlightAll=true`;

// ts_headline drops anything shaped like an HTML tag; a space after every "<" keeps "<b>" in the
// text as the writer typed it, and is taken out again afterwards.
const headline = (column: string, options: string) =>
  `replace(ts_headline('smriti_search', replace(translate(hits.${column}, chr(2) || chr(3), ''), '<', '< '), query, ${options}), '< ', '<')`;

// The newest SEARCH_MAX_CANDIDATES matches ($7) and no more, whatever the journal's size; `filters`
// are the filters' clauses, their parameters from $8.
const candidates = (filters: string) => `
  SELECT * FROM entries
   WHERE user_id = $1 AND search_vector @@ to_tsquery('smriti_search', $2) AND deleted_at IS NULL${filters}
   ORDER BY created_at DESC, id DESC
   LIMIT $7`;

const searchSql = (filters: string) => `
  SELECT hits.*, ${headline('title', '$5')} AS "markedTitle", ${headline('body', '$6')} AS "markedExcerpt"
    FROM (
      SELECT ${ENTRY_COLUMNS}, count(*) OVER () AS total,
             ts_rank(search_vector, to_tsquery('smriti_search', $2)) AS rank
        FROM (${candidates(filters)}) AS entries
       ORDER BY rank DESC, created_at DESC, id DESC
       LIMIT $3 OFFSET $4
    ) hits, to_tsquery('smriti_search', $2) AS query
   ORDER BY hits.rank DESC, hits."createdAt" DESC, hits.id DESC`;

/** Exported for the benchmark's EXPLAIN: $1 user, $2 tsquery text, $3 limit, $4 offset, $7 candidates. */
export const SEARCH_SQL = searchSql('');

// $1 user, $2 tsquery, $3 the bound; the filters' parameters from $4.
const countSql = (filters: string) => `SELECT count(*)::int AS total FROM (
  SELECT 1 FROM entries WHERE user_id = $1 AND search_vector @@ to_tsquery('smriti_search', $2) AND deleted_at IS NULL${filters} LIMIT $3) AS candidates`;

export interface SearchHit {
  entry: Entry;
  title: TextPart[];
  excerpt: TextPart[];
}

/** Splits ts_headline's output at our markers; every part is plain text, to be escaped by the view. */
export function markedParts(headline: string): TextPart[] {
  const [first, ...chunks] = headline.split(START);
  const parts: TextPart[] = first ? [{ text: first, marked: false }] : [];
  for (const chunk of chunks) {
    const stop = chunk.includes(STOP) ? chunk.indexOf(STOP) : chunk.length;
    if (stop > 0) parts.push({ text: chunk.slice(0, stop), marked: true });
    if (stop + 1 < chunk.length) parts.push({ text: chunk.slice(stop + 1), marked: false });
  }
  return parts;
}

export function plainText(parts: readonly TextPart[]): string {
  return parts.map((part) => part.text).join('');
}

type HitRow = Entry & { total: number; rank: number; markedTitle: string; markedExcerpt: string };

export interface SearchOptions {
  /** Words written with a minus: no entry holding one is found. */
  excluded?: readonly string[];
  filter?: SearchFilter;
  /** The writer's language (ISO 639-1, "de"), for its word forms beside English ones. */
  language?: string;
}

/**
 * One page of the user's entries holding every word, best matches first, then newest, among the
 * newest SEARCH_MAX_CANDIDATES that match; `total` is at most that many (more may match).
 */
export async function searchEntries(
  db: Queryable,
  userId: string,
  words: readonly string[],
  page: number,
  options: SearchOptions = {},
): Promise<{ hits: SearchHit[]; total: number }> {
  if (words.length === 0) return { hits: [], total: 0 };
  const excluded = options.excluded ?? [];
  const forms = await wordForms(
    db,
    [...words, ...excluded].filter((w) => !hasCjkRun(w)),
    options.language,
  );
  if (words.some(hasCjkRun)) return searchCjk(db, userId, words, page, forms, options);
  const query = toTsquery(
    words,
    forms,
    excluded.filter((w) => !hasCjkRun(w)),
  );
  const filters = whereFiltered(options.filter ?? {}, excluded.filter(hasCjkRun), 8);
  const offset = (page - 1) * PAGE_SIZE;
  const params = [userId, query, PAGE_SIZE, offset, TITLE_OPTIONS, EXCERPT_OPTIONS, SEARCH_MAX_CANDIDATES, ...filters.params];
  const result = await db.query<HitRow>(searchSql(filters.sql), params);
  const hits = result.rows.map(({ total: _total, rank: _rank, markedTitle, markedExcerpt, ...entry }) => ({
    entry,
    title: markedParts(markedTitle),
    excerpt: markedParts(markedExcerpt),
  }));
  // count(*) OVER () rides along with every row; past the last page there is no row to carry it.
  const total = result.rows[0] ? Number(result.rows[0].total) : page === 1 ? 0 : await countMatches(db, userId, query, options, excluded);
  return { hits, total };
}

async function countMatches(db: Queryable, userId: string, query: string, options: SearchOptions, excluded: readonly string[]) {
  const filters = whereFiltered(options.filter ?? {}, excluded.filter(hasCjkRun), 4);
  const result = await db.query<{ total: number }>(countSql(filters.sql), [userId, query, SEARCH_MAX_CANDIDATES, ...filters.params]);
  return result.rows[0]!.total;
}

/**
 * Words with CJK text are found by their grams (migrations 021, 043), then checked whole in the
 * text; other words of the same query go through the word index as usual. $1 user, $2 grams
 * tsquery, $3 the CJK words, $4 limit, $5 offset, $6 the other words' tsquery (or null), the
 * filters' parameters from $7.
 */
const cjkSql = (filters: string) => `
  SELECT ${ENTRY_COLUMNS}, count(*) OVER () AS total
    FROM entries
   WHERE user_id = $1 AND deleted_at IS NULL AND search_grams @@ $2::tsquery
     AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS w(word) WHERE strpos(title || E'\\n' || body, w.word) = 0)
     AND ($6::text IS NULL OR search_vector @@ to_tsquery('smriti_search', $6))${filters}
   ORDER BY ts_rank(search_grams, $2::tsquery) DESC, created_at DESC, id DESC
   LIMIT $4 OFFSET $5`;

async function searchCjk(db: Queryable, userId: string, words: readonly string[], page: number, forms: WordForms, options: SearchOptions) {
  const cjk = words.filter(hasCjkRun);
  const others = words.filter((w) => !hasCjkRun(w));
  const excluded = options.excluded ?? [];
  const otherQuery = toTsquery(
    others,
    forms,
    excluded.filter((w) => !hasCjkRun(w)),
  );
  const filters = whereFiltered(options.filter ?? {}, excluded.filter(hasCjkRun), 7);
  const sql = cjkSql(filters.sql);
  const rest = [otherQuery || null, ...filters.params];
  const result = await db.query<Entry & { total: number }>(sql, [
    userId,
    bigramTsquery(cjk),
    cjk,
    PAGE_SIZE,
    (page - 1) * PAGE_SIZE,
    ...rest,
  ]);
  const hits = result.rows.map(({ total: _total, ...entry }) => ({
    entry,
    title: markWords(entry.title, words),
    excerpt: excerptAround(entry.body, words),
  }));
  // Past the last page, the first page's first row carries the count.
  const first =
    result.rows[0] ??
    (page > 1 ? (await db.query<{ total: number }>(sql, [userId, bigramTsquery(cjk), cjk, 1, 0, ...rest])).rows[0] : undefined);
  return { hits, total: first ? Number(first.total) : 0 };
}
