// Entry bodies as Markdown: safe HTML for the page, and plain text for excerpts.
import MarkdownIt from 'markdown-it';
import { type ChecklistEnv, type ChecklistItem, itemsOf, taskLists } from './checklists.js';
import { OWN_PHOTO_URL } from './photos.js';

// Raw HTML off: whatever the writer types as <script> or <img onerror> stays text.
const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
md.use(taskLists);

// markdown-it refuses javascript:, vbscript: and data: itself; this narrows links to the schemes a
// journal needs, so no scheme a browser might treat as script ever becomes a link. The writer's own
// photos (/photos/<id>) are the one same-origin address allowed.
const ALLOWED_LINK = /^(https?:\/\/|mailto:)/i;
md.validateLink = (url) => ALLOWED_LINK.test(url.trim()) || OWN_PHOTO_URL.test(url.trim());

// Only the writer's own photos become images (GET /photos/:id answers the owner alone); any other
// image stays the text that was typed, as the CSP (img-src 'self') would refuse it anyway.
// `env.ownPhotos`, when given, names the photos the writer owns: any other id stays text too.
md.renderer.rules.image = (tokens, index, _options, env: { ownPhotos?: ReadonlySet<string> }) => {
  const token = tokens[index]!;
  const src = token.attrGet('src') ?? '';
  const caption = token.content;
  const own = OWN_PHOTO_URL.exec(src);
  if (!own || (env?.ownPhotos && !env.ownPhotos.has(own[1]!.toLowerCase()))) return md.utils.escapeHtml(`![${caption}](${src})`);
  const figcaption = caption ? `<span class="photo-caption">${md.utils.escapeHtml(caption)}</span>` : '';
  return `<span class="photo"><img src="${md.utils.escapeHtml(src)}" alt="${md.utils.escapeHtml(caption)}">${figcaption}</span>`;
};

md.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  tokens[index]!.attrSet('rel', 'noopener nofollow');
  return self.renderToken(tokens, index, options);
};

// The entry's title is the page's h1: a "# heading" in the body becomes h2, and so on down.
md.renderer.rules.heading_open = (tokens, index, options, _env, self) => {
  const token = tokens[index]!;
  token.tag = `h${Math.min(Number(token.tag.slice(1)) + 1, 6)}`;
  return self.renderToken(tokens, index, options);
};
md.renderer.rules.heading_close = (tokens, index, options, _env, self) => {
  const token = tokens[index]!;
  token.tag = `h${Math.min(Number(token.tag.slice(1)) + 1, 6)}`;
  return self.renderToken(tokens, index, options);
};

// A wide table or code block scrolls inside its own box rather than widening the page; the box
// takes focus so it can be scrolled from the keyboard.
md.renderer.rules.table_open = (tokens, index, options, _env, self) =>
  `<div class="table-scroll" tabindex="0" role="region" aria-label="Table">${self.renderToken(tokens, index, options)}`;
md.renderer.rules.table_close = (tokens, index, options, _env, self) => `${self.renderToken(tokens, index, options)}</div>`;
for (const rule of ['fence', 'code_block'] as const) {
  const original = md.renderer.rules[rule]!;
  md.renderer.rules[rule] = (tokens, index, options, env, self) =>
    original(tokens, index, options, env, self).replace(/^<pre>/, '<pre tabindex="0">');
}

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
  const words: string[] = [];
  for (const token of md.parse(body, {})) {
    if (token.type === 'fence' || token.type === 'code_block') words.push(token.content, ' ');
    if (token.type !== 'inline') continue;
    for (const child of token.children ?? []) {
      if (child.type === 'text' || child.type === 'code_inline') words.push(child.content);
      else if (child.type === 'softbreak' || child.type === 'hardbreak') words.push(' ');
    }
    words.push(' ');
  }
  return words.join('').replace(/\s+/g, ' ').trim();
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
