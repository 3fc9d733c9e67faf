// Full-text search over a user's entries: the words of a query, the SQL, and the marked-up excerpts.
import type { Queryable } from '../db/db.js';
import { bigramTsquery, excerptAround, hasCjkRun, markWords, type TextPart } from './cjk.js';
import { ENTRY_COLUMNS, type Entry, PAGE_SIZE } from './entries.js';

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

export type SearchQuery = { kind: 'words'; words: string[] } | { kind: 'invalid'; message: string };

/** The distinct words of a query, or why it cannot be searched; may be no words (only punctuation). */
export function parseSearch(q: unknown): SearchQuery {
  if (typeof q !== 'string') return { kind: 'invalid', message: 'Search for one piece of text.' };
  if (q.length > SEARCH_MAX_CHARS) {
    return { kind: 'invalid', message: `Keep the search under ${SEARCH_MAX_CHARS} characters.` };
  }
  const words = [...new Set(q.normalize('NFC').match(WORD) ?? [])];
  if (words.length > SEARCH_MAX_WORDS) {
    return { kind: 'invalid', message: `Search for at most ${SEARCH_MAX_WORDS} words at a time.` };
  }
  return { kind: 'words', words };
}

// One letter of an alphabet with letter case ("a", "é", "ж") starts a good share of all words: as a
// prefix it would read most of the index. It matches only itself; "東" or "न" stay prefixes.
const SINGLE_CASED_LETTER = /^[\p{Lu}\p{Ll}\p{Lt}]\p{M}*$/u;

/** Every word must appear, each as a whole word or as the start of one ("riv" finds "river"). */
export function toTsquery(words: readonly string[]): string {
  return words.map((word) => (SINGLE_CASED_LETTER.test(word) ? `'${word}'` : `'${word}':*`)).join(' & ');
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

// The newest SEARCH_MAX_CANDIDATES matches ($7) and no more, whatever the journal's size.
const CANDIDATES = `
  SELECT * FROM entries
   WHERE user_id = $1 AND search_vector @@ to_tsquery('smriti_search', $2) AND deleted_at IS NULL
   ORDER BY created_at DESC, id DESC
   LIMIT $7`;

/** Exported for the benchmark's EXPLAIN: $1 user, $2 tsquery text, $3 limit, $4 offset, $7 candidates. */
export const SEARCH_SQL = `
  SELECT hits.*, ${headline('title', '$5')} AS "markedTitle", ${headline('body', '$6')} AS "markedExcerpt"
    FROM (
      SELECT ${ENTRY_COLUMNS}, count(*) OVER () AS total,
             ts_rank(search_vector, to_tsquery('smriti_search', $2)) AS rank
        FROM (${CANDIDATES}) AS entries
       ORDER BY rank DESC, created_at DESC, id DESC
       LIMIT $3 OFFSET $4
    ) hits, to_tsquery('smriti_search', $2) AS query
   ORDER BY hits.rank DESC, hits."createdAt" DESC, hits.id DESC`;

const COUNT_SQL = `SELECT count(*)::int AS total FROM (
  SELECT 1 FROM entries WHERE user_id = $1 AND search_vector @@ to_tsquery('smriti_search', $2) AND deleted_at IS NULL LIMIT $3) AS candidates`;

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

/**
 * One page of the user's entries holding every word, best matches first, then newest, among the
 * newest SEARCH_MAX_CANDIDATES that match; `total` is at most that many (more may match).
 */
export async function searchEntries(
  db: Queryable,
  userId: string,
  words: readonly string[],
  page: number,
): Promise<{ hits: SearchHit[]; total: number }> {
  if (words.length === 0) return { hits: [], total: 0 };
  if (words.some(hasCjkRun)) return searchCjk(db, userId, words, page);
  const query = toTsquery(words);
  const offset = (page - 1) * PAGE_SIZE;
  const params = [userId, query, PAGE_SIZE, offset, TITLE_OPTIONS, EXCERPT_OPTIONS, SEARCH_MAX_CANDIDATES];
  const result = await db.query<HitRow>(SEARCH_SQL, params);
  const hits = result.rows.map(({ total: _total, rank: _rank, markedTitle, markedExcerpt, ...entry }) => ({
    entry,
    title: markedParts(markedTitle),
    excerpt: markedParts(markedExcerpt),
  }));
  // count(*) OVER () rides along with every row; past the last page there is no row to carry it.
  const total = result.rows[0] ? Number(result.rows[0].total) : await countMatches(db, userId, query, page);
  return { hits, total };
}

async function countMatches(db: Queryable, userId: string, query: string, page: number): Promise<number> {
  if (page === 1) return 0;
  return (await db.query<{ total: number }>(COUNT_SQL, [userId, query, SEARCH_MAX_CANDIDATES])).rows[0]!.total;
}

/**
 * Words with CJK text are found by their bigrams (migration 021), then checked whole in the text;
 * other words of the same query go through the word index as usual. $1 user, $2 bigram tsquery,
 * $3 the CJK words, $4 limit, $5 offset, $6 the other words' tsquery.
 */
const cjkWhere = (withWords: boolean) => `user_id = $1 AND deleted_at IS NULL AND search_grams @@ $2::tsquery
  AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS w(word) WHERE strpos(title || E'\\n' || body, w.word) = 0)
  ${withWords ? "AND search_vector @@ to_tsquery('smriti_search', $6)" : ''}`;

const cjkSql = (withWords: boolean) => `
  SELECT ${ENTRY_COLUMNS}, count(*) OVER () AS total
    FROM entries WHERE ${cjkWhere(withWords)}
   ORDER BY ts_rank(search_grams, $2::tsquery) DESC, created_at DESC, id DESC
   LIMIT $4 OFFSET $5`;

async function searchCjk(db: Queryable, userId: string, words: readonly string[], page: number) {
  const cjk = words.filter(hasCjkRun);
  const others = words.filter((w) => !hasCjkRun(w));
  const params: unknown[] = [userId, bigramTsquery(cjk), cjk, PAGE_SIZE, (page - 1) * PAGE_SIZE];
  if (others.length > 0) params.push(toTsquery(others));
  const result = await db.query<Entry & { total: number }>(cjkSql(others.length > 0), params);
  const hits = result.rows.map(({ total: _total, ...entry }) => ({
    entry,
    title: markWords(entry.title, words),
    excerpt: excerptAround(entry.body, words),
  }));
  // Past the last page, the first page's first row carries the count.
  const first =
    result.rows[0] ??
    (page > 1
      ? (await db.query<{ total: number }>(cjkSql(others.length > 0), [...params.slice(0, 3), 1, 0, ...params.slice(5)])).rows[0]
      : undefined);
  return { hits, total: first ? Number(first.total) : 0 };
}
