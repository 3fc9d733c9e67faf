// Entry bodies as Markdown: safe HTML for the page, and plain text for excerpts.
import MarkdownIt from 'markdown-it';
import { journalMarkdown, markdownText as wordsOf } from '../../public/js/markdown-rules.js';
import { type ChecklistEnv, type ChecklistItem, formTaskBox, itemsOf } from './checklists.js';

// The rules are one module with the browser's renderer of sealed journals (DESIGN §16): raw HTML
// off, links only to http(s), mailto and the writer's own photos, those photos the only images.
const md = journalMarkdown(MarkdownIt, formTaskBox);

/**
 * The body as HTML to place in the page unescaped: markdown-it escapes every character of text.
 * With `env.checklist`, checklist boxes are buttons of that form; without, disabled checkboxes.
 * `env.ownPhotos`: the writer's photo ids among those the body names (see ownPhotoIds).
 */
export function renderMarkdown(body: string, env: ChecklistEnv & { ownPhotos?: ReadonlySet<string> } = {}): string {
  return md.render(body, { ...env });
}

/** The body's checklist items, as renderMarkdown numbers them. */
export function checklistItems(body: string): ChecklistItem[] {
  return itemsOf(md.parse(body, {}));
}

/** The words of the body without Markdown syntax, on one line. */
export function markdownText(body: string): string {
  return wordsOf(md, body);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const PRINTABLE_ASCII = /^[\x20-\x7E]*/;

/** At most `max` user-perceived characters: an emoji or an accented letter is never cut in two. */
export function cutGraphemes(text: string, max: number): string {
  if (text.length <= max) return text; // never more graphemes than UTF-16 units
  // Between two printable ASCII characters there is always a grapheme boundary (UAX #29), so a
  // leading run of them counts one each and only the rest goes through the (slow) segmenter.
  const ascii = PRINTABLE_ASCII.exec(text)![0].length;
  if (ascii > max) return `${text.slice(0, max).trimEnd()}…`;
  const start = Math.max(0, ascii - 1);
  let count = start;
  for (const { index } of graphemes.segment(text.slice(start))) {
    if (count === max) return `${text.slice(0, start + index).trimEnd()}…`;
    count += 1;
  }
  return text;
}

export const EXCERPT_GRAPHEMES = 220;

// The list parses every card's body for its excerpt on every visit, though bodies seldom change: the
// excerpts are kept, keyed by the body itself (so an edit is a new key), least recently used out first.
const EXCERPTS_MAX_CHARS = 2_000_000;
const excerpts = new Map<string, string>();
let excerptsChars = 0;

/** The list's excerpt: the body's plain text, cut on a grapheme boundary. */
export function plainExcerpt(body: string): string {
  const held = excerpts.get(body);
  if (held !== undefined) {
    excerpts.delete(body);
    excerpts.set(body, held);
    return held;
  }
  const excerpt = cutGraphemes(markdownText(body), EXCERPT_GRAPHEMES);
  if (body.length <= EXCERPTS_MAX_CHARS / 100) {
    for (const oldest of excerpts.keys()) {
      if (excerptsChars + body.length <= EXCERPTS_MAX_CHARS) break;
      excerpts.delete(oldest);
      excerptsChars -= oldest.length;
    }
    excerpts.set(body, excerpt);
    excerptsChars += body.length;
  }
  return excerpt;
}

export interface HeadingLines {
  /** First line (0-based) and the line after the last, as markdown-it maps them. */
  start: number;
  end: number;
  level: number;
  /** Underlined with === or --- rather than opened with #. */
  setext: boolean;
  /** The heading's text, for writing a setext heading on one line. */
  text: string;
}

/** Where the headings of a body are, as the renderer reads them (so never inside code). */
export function headingLines(body: string): HeadingLines[] {
  const tokens = md.parse(body, {});
  const found: HeadingLines[] = [];
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open' || !token.map) return;
    const text = tokens[i + 1]?.content ?? '';
    found.push({ start: token.map[0], end: token.map[1], level: Number(token.tag.slice(1)), setext: !token.markup.startsWith('#'), text });
  });
  return found;
}
