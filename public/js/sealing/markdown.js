// Markdown for a sealed journal's entries, rendered in the browser with the server's rules
// (src/journal/markdown.ts and checklists.ts): raw HTML off, links only to http(s) and mailto, the
// writer's own photos as the only images, headings one level down, scrolling tables and code.
// Needs /vendor/markdown-it/markdown-it.min.js first; exposes window.smritiMarkdown.
(() => {
  const markdownit = window.markdownit;
  if (!markdownit) return;
  const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
  const OWN_PHOTO_URL = new RegExp(`^/photos/(${UUID})(\\?size=thumb)?$`);
  const ALLOWED_LINK = /^(https?:\/\/|mailto:)/i;
  const MARKER = /^\[([ xX])\](?=[ \t]|$)/;
  const ITEM_LINE = /^((?:[ \t]*>)*[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)\[[ xX]\]/;
  const CONTINUED_LINE = /^((?:[ \t]*>)*[ \t]*)\[[ xX]\]/;

  const md = markdownit({ html: false, linkify: true, breaks: true });
  const escapeHtml = md.utils.escapeHtml;

  md.core.ruler.after('inline', 'task_lists', (state) => {
    let index = 0;
    state.tokens.forEach((token, i) => {
      if (token.type !== 'inline' || state.tokens[i - 2]?.type !== 'list_item_open') return;
      const first = token.children?.[0];
      const found = first?.type === 'text' ? MARKER.exec(first.content) : null;
      if (!first || !found) return;
      first.content = first.content.slice(3).replace(/^[ \t]/, '');
      const label = token.children
        .filter((child) => child.type === 'text' || child.type === 'code_inline')
        .map((child) => child.content)
        .join('')
        .trim();
      const box = new state.Token('task_box', '', 0);
      box.meta = { index: index++, checked: found[1] !== ' ', line: token.map?.[0] ?? -1, label };
      token.children.unshift(box);
      state.tokens[i - 2].attrJoin('class', 'task-item');
    });
  });
  md.renderer.rules.task_box = (tokens, i, _options, env) => {
    const { index, checked, line, label } = tokens[i].meta;
    const name = escapeHtml(label || `Item ${index + 1}`);
    if (!env?.checklist) return `<input type="checkbox" class="task-box" disabled${checked ? ' checked' : ''} aria-label="${name}"> `;
    // The entry's own page: a box ticks the item, re-written sealed by the page's script (journal.js).
    return (
      `<button type="button" id="task-${index}" class="task-box" role="checkbox" aria-checked="${checked}" ` +
      `data-task-line="${line}" aria-label="${name}">${checked ? '✓' : ''}</button> `
    );
  };

  md.validateLink = (url) => ALLOWED_LINK.test(url.trim()) || OWN_PHOTO_URL.test(url.trim());

  md.renderer.rules.image = (tokens, index) => {
    const token = tokens[index];
    const src = token.attrGet('src') ?? '';
    const caption = token.content;
    if (!OWN_PHOTO_URL.test(src)) return escapeHtml(`![${caption}](${src})`);
    const figcaption = caption ? `<span class="photo-caption">${escapeHtml(caption)}</span>` : '';
    return `<span class="photo"><img src="${escapeHtml(src)}" alt="${escapeHtml(caption)}">${figcaption}</span>`;
  };
  md.renderer.rules.link_open = (tokens, index, options, _env, self) => {
    tokens[index].attrSet('rel', 'noopener nofollow');
    return self.renderToken(tokens, index, options);
  };
  const shiftHeading = (tokens, index, options, _env, self) => {
    const token = tokens[index];
    token.tag = `h${Math.min(Number(token.tag.slice(1)) + 1, 6)}`;
    return self.renderToken(tokens, index, options);
  };
  md.renderer.rules.heading_open = shiftHeading;
  md.renderer.rules.heading_close = shiftHeading;
  md.renderer.rules.table_open = (tokens, index, options, _env, self) =>
    `<div class="table-scroll" tabindex="0" role="region" aria-label="Table">${self.renderToken(tokens, index, options)}`;
  md.renderer.rules.table_close = (tokens, index, options, _env, self) => `${self.renderToken(tokens, index, options)}</div>`;
  for (const rule of ['fence', 'code_block']) {
    const original = md.renderer.rules[rule];
    md.renderer.rules[rule] = (tokens, index, options, env, self) =>
      original(tokens, index, options, env, self).replace(/^<pre>/, '<pre tabindex="0">');
  }

  // Nothing in such a body is Markdown syntax but paragraphs and line breaks: its words are itself.
  const MAY_BE_MARKDOWN = /[\\`*_[\]<>#!~|&=+-]|^\s*\d+[.)]|^ {4}|^\t/m;

  /** The words of the body without Markdown syntax, on one line (the server's markdownText). */
  function text(body) {
    if (!MAY_BE_MARKDOWN.test(body)) return body.replace(/\s+/g, ' ').trim();
    const words = [];
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
})();
