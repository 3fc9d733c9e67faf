// The journal's Markdown rules, one module for both renderers: the server's, for open journals
// (src/journal/markdown.ts), and the browser's, for sealed ones (public/js/sealing/markdown.js).
// Raw HTML stays text; links go only to http(s), mailto and the writer's own photos; those photos
// are the only images; headings go one level down (the entry's title is the page's h1); tables and
// code scroll in their own box; "- [ ]" and "- [x]" items become checkboxes, drawn by each side.

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** The only image address an entry may show: one of the writer's own photos. */
export const OWN_PHOTO_URL = new RegExp(`^/photos/(${UUID})(\\?size=thumb)?$`);
// markdown-it refuses javascript:, vbscript: and data: itself; this narrows links further, so no
// scheme a browser might treat as script ever becomes a link.
const ALLOWED_LINK = /^(https?:\/\/|mailto:)/i;
const MARKER = /^\[([ xX])\](?=[ \t]|$)/;

/** A core rule: an item whose text opens with "[ ] " or "[x] " gets a task_box token in its place. */
function taskLists(md) {
  md.core.ruler.after('inline', 'task_lists', (state) => {
    let index = 0;
    state.tokens.forEach((token, i) => {
      if (token.type !== 'inline' || state.tokens[i - 2]?.type !== 'list_item_open') return;
      const first = token.children?.[0];
      const found = first?.type === 'text' ? MARKER.exec(first.content) : null;
      if (!first || !found) return;
      first.content = first.content.slice(3).replace(/^[ \t]/, '');
      // The item's words without Markdown ("**milk**" is heard as "milk").
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
}

/**
 * A markdown-it (the package's export on the server, window.markdownit in the browser) with the
 * journal's rules. `taskBox(box, name, env)` draws a checklist box on the entry's own page (when
 * `env.checklist` is given): `box` is `{ index, checked, line, label }`, `name` its escaped label. `env.ownPhotos`, when given, names the
 * photos the writer owns: any other photo address stays text.
 */
export function journalMarkdown(markdownit, taskBox) {
  const md = markdownit({ html: false, linkify: true, breaks: true });
  const escapeHtml = md.utils.escapeHtml;
  taskLists(md);
  md.renderer.rules.task_box = (tokens, i, _options, env) => {
    const box = tokens[i].meta;
    const name = escapeHtml(box.label || `Item ${box.index + 1}`);
    // Anywhere but the entry's own page (env.checklist), a box only shows the item's state.
    if (!env?.checklist) return `<input type="checkbox" class="task-box" disabled${box.checked ? ' checked' : ''} aria-label="${name}"> `;
    return taskBox(box, name, env);
  };
  md.validateLink = (url) => ALLOWED_LINK.test(url.trim()) || OWN_PHOTO_URL.test(url.trim());
  md.renderer.rules.image = (tokens, index, _options, env) => {
    const token = tokens[index];
    const src = token.attrGet('src') ?? '';
    const caption = token.content;
    const own = OWN_PHOTO_URL.exec(src);
    if (!own || (env?.ownPhotos && !env.ownPhotos.has(own[1].toLowerCase()))) return escapeHtml(`![${caption}](${src})`);
    const figcaption = caption ? `<span class="photo-caption">${escapeHtml(caption)}</span>` : '';
    return `<span class="photo"><img src="${escapeHtml(src)}" alt="${escapeHtml(caption)}">${figcaption}</span>`;
  };
  md.renderer.rules.link_open = (tokens, index, options, _env, self) => {
    tokens[index].attrSet('rel', 'noopener nofollow');
    return self.renderToken(tokens, index, options);
  };
  const headingDown = (tokens, index, options, _env, self) => {
    const token = tokens[index];
    token.tag = `h${Math.min(Number(token.tag.slice(1)) + 1, 6)}`;
    return self.renderToken(tokens, index, options);
  };
  md.renderer.rules.heading_open = headingDown;
  md.renderer.rules.heading_close = headingDown;
  // The box takes focus, so a wide table or code block can be scrolled from the keyboard.
  md.renderer.rules.table_open = (tokens, index, options, _env, self) =>
    `<div class="table-scroll" tabindex="0" role="region" aria-label="Table">${self.renderToken(tokens, index, options)}`;
  md.renderer.rules.table_close = (tokens, index, options, _env, self) => `${self.renderToken(tokens, index, options)}</div>`;
  for (const rule of ['fence', 'code_block']) {
    const original = md.renderer.rules[rule];
    md.renderer.rules[rule] = (tokens, index, options, env, self) =>
      original(tokens, index, options, env, self).replace(/^<pre>/, '<pre tabindex="0">');
  }
  return md;
}

// Nothing in such a body is Markdown syntax but paragraphs and line breaks: its words are itself.
const MAY_BE_MARKDOWN = /[\\`*_[\]<>#!~|&=+-]|^\s*\d+[.)]|^ {4}|^\t/m;

/** The words of the body without Markdown syntax, on one line (excerpts and search). */
export function markdownText(md, body) {
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
