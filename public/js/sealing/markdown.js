// Markdown for a sealed journal's entries, rendered in the browser with the server's own rules
// (public/js/markdown-rules.js, which src/journal/markdown.ts uses too). A module: journal.js
// imports it after /vendor/markdown-it/markdown-it.min.js; it exposes window.smritiMarkdown.
import { journalMarkdown, markdownText } from '../markdown-rules.js';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const ITEM_LINE = /^((?:[ \t]*>)*[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)\[[ xX]\]/;
const CONTINUED_LINE = /^((?:[ \t]*>)*[ \t]*)\[[ xX]\]/;

// On the entry's own page a box ticks the item, re-written sealed by the page's script (journal.js).
function buttonTaskBox({ index, checked, line }, name) {
  return (
    `<button type="button" id="task-${index}" class="task-box" role="checkbox" aria-checked="${checked}" ` +
    `data-task-line="${line}" aria-label="${name}">${checked ? '✓' : ''}</button> `
  );
}

if (window.markdownit) {
  const md = journalMarkdown(window.markdownit, buttonTaskBox);
  const text = (body) => markdownText(md, body);

  const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  /** At most `max` user-perceived characters, as the server cuts excerpts. */
  function cut(value, max = 220) {
    if (value.length <= max) return value;
    let count = 0;
    for (const { index } of graphemes.segment(value)) {
      if (count === max) return `${value.slice(0, index).trimEnd()}…`;
      count += 1;
    }
    return value;
  }

  window.smritiMarkdown = {
    /** HTML to place in the page: markdown-it escapes every character of text. */
    render: (body, env = {}) => md.render(body, { ...env }),
    /** The body with the checklist item on `line` ticked or not (the server's setItem); undefined when it holds none. */
    setItem(body, line, done) {
      const parts = body.split(/(\r\n|\r|\n)/);
      const text = parts[line * 2];
      if (text === undefined) return undefined;
      const pattern = ITEM_LINE.test(text) ? ITEM_LINE : CONTINUED_LINE.test(text) ? CONTINUED_LINE : undefined;
      if (!pattern) return undefined;
      parts[line * 2] = text.replace(pattern, `$1[${done ? 'x' : ' '}]`);
      return parts.join('');
    },
    text,
    excerpt: (body) => cut(text(body)),
    cut,
    /** Where the headings of a body are, as the renderer reads them (the server's headingLines). */
    headingLines(body) {
      const tokens = md.parse(body, {});
      const found = [];
      tokens.forEach((token, i) => {
        if (token.type !== 'heading_open' || !token.map) return;
        const text = tokens[i + 1]?.content ?? '';
        found.push({
          start: token.map[0],
          end: token.map[1],
          level: Number(token.tag.slice(1)),
          setext: !token.markup.startsWith('#'),
          text,
        });
      });
      return found;
    },
    firstPhoto(body) {
      const found = new RegExp(`\\(/photos/(${UUID})[)?\\s]`).exec(body);
      return found ? `/photos/${found[1]}?size=thumb` : null;
    },
  };
}
