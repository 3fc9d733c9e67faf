// CJK words inside sentences: the bigrams migration 021 indexes, cut from a query word the same way.

/** A run of text, marked when it matched a word of the query. */
export interface TextPart {
  text: string;
  marked: boolean;
}

// The same ranges as smriti_cjk_grams() (migration 043): kana, CJK ideographs (with extension A
// and the compatibility block) and Hangul syllables.
const CJK_CHARS = '[\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uac00-\\ud7af]+';
const CJK_RUN = new RegExp(CJK_CHARS);
const CJK_RUNS = new RegExp(CJK_CHARS, 'g');

/** True when a search word holds a CJK character: the grams path finds it anywhere in a sentence. */
export function hasCjkRun(word: string): boolean {
  return CJK_RUN.test(word);
}

/**
 * The grams a query word needs: every two adjacent CJK characters, or the character itself for a
 * run of one ("金"), once each. The index holds both (migration 043).
 */
export function cjkBigrams(text: string): string[] {
  const grams = new Set<string>();
  for (const [run] of text.matchAll(CJK_RUNS)) {
    if (run.length === 1) grams.add(run);
    for (let i = 0; i + 1 < run.length; i++) grams.add(run.slice(i, i + 2));
  }
  return [...grams];
}

/** A tsquery that every gram must match; the characters are CJK only, so quoting them is safe. */
export function bigramTsquery(words: readonly string[]): string {
  return cjkBigrams(words.join(' '))
    .map((gram) => `'${gram}'`)
    .join(' & ');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const EXCERPT_BEFORE = 40;
const EXCERPT_AFTER = 120;

/** The text split into parts, each occurrence of a word marked (case-insensitive, as written). */
export function markWords(text: string, words: readonly string[]): TextPart[] {
  const lower = text.toLowerCase();
  const parts: TextPart[] = [];
  let at = 0;
  while (at < text.length) {
    let next = -1;
    let length = 0;
    for (const word of words) {
      const found = lower.indexOf(word.toLowerCase(), at);
      if (found !== -1 && (next === -1 || found < next)) [next, length] = [found, word.length];
    }
    if (next === -1) break;
    if (next > at) parts.push({ text: text.slice(at, next), marked: false });
    parts.push({ text: text.slice(next, next + length), marked: true });
    at = next + length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), marked: false });
  return parts;
}

/** A window of the body around the first word found, cut on grapheme boundaries, words marked. */
export function excerptAround(body: string, words: readonly string[]): TextPart[] {
  const lower = body.toLowerCase();
  const first = Math.min(...words.map((w) => lower.indexOf(w.toLowerCase())).filter((i) => i >= 0), body.length);
  const starts = [...graphemes.segment(body.slice(Math.max(0, first - EXCERPT_BEFORE * 2), first))].map((s) => s.index);
  const from = Math.max(0, first - EXCERPT_BEFORE * 2) + (starts.length > EXCERPT_BEFORE ? starts[starts.length - EXCERPT_BEFORE]! : 0);
  let to = first;
  let count = 0;
  for (const { index, segment } of graphemes.segment(body.slice(first, first + EXCERPT_AFTER * 4))) {
    if (count++ === EXCERPT_AFTER) break;
    to = first + index + segment.length;
  }
  const text = `${from > 0 ? '…' : ''}${body.slice(from, to).replace(/\s+/g, ' ')}${to < body.length ? '…' : ''}`;
  return markWords(text, words);
}
