// Export and import of a sealed journal, in the browser (DESIGN §16), on /account.
// Export: the server can only send its sealed backup; with the journal open here, "as a Smriti file
// (JSON)" opens that backup and saves the same file an open journal's export is. Without the key,
// the link downloads the sealed backup itself. Import: a Smriti JSON export is sealed here, entry by
// entry, and sent as a sealed backup (which the server takes, times and trash kept); a sealed backup
// goes as it is. The Markdown export and import work the same way; zip and Day One files wait until
// the journal is unsealed.
(() => {
  const sealing = window.smritiSealing;
  if (!sealing) return;

  const EXPORT_LINK = 'a[href="/account/export"], a[href="/account/export?format=json"]';

  function say(message) {
    const form = document.getElementById('import');
    if (!form) return sealing.showProblem(message);
    let slot = form.querySelector('[data-sealed-import-error]');
    if (!slot) {
      slot = Object.assign(document.createElement('p'), { className: 'form-error' });
      slot.setAttribute('role', 'alert');
      slot.dataset.sealedImportError = '';
      form.querySelector('input[type="file"]').after(slot);
    }
    slot.textContent = message;
  }

  function localDay(date = new Date()) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  function download(text, name, type = 'application/json') {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = Object.assign(document.createElement('a'), { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** The server's sealed backup, or null when it answered something else (a fresh sign-in is asked first). */
  async function sealedBackup() {
    const response = await window.secureFetch('/account/export', { headers: { Accept: 'application/json' } });
    if (!response.ok || !/json/.test(response.headers.get('Content-Type') || '')) return null;
    const backup = await response.json().catch(() => null);
    return backup?.format === 'smriti-sealed-backup' ? backup : null;
  }

  async function plainRecord(key, entry) {
    const plain = entry.sealed ? await sealing.openEntry(key, entry.id, entry.sealed) : entry;
    return {
      id: entry.id,
      title: plain.title,
      body: plain.body,
      entryDate: entry.entryDate,
      tags: plain.tags || [],
      ...(plain.starred ? { starred: true } : {}),
      createdAt: entry.createdAt,
      updatedAt: entry.updatedAt,
      ...(entry.trashedAt ? { trashedAt: entry.trashedAt } : {}),
    };
  }

  async function exportJson(key, link) {
    const backup = await sealedBackup();
    if (!backup) return location.assign(link.href); // the server's own way: a fresh sign-in, then the sealed backup
    const entries = [];
    for (const entry of backup.entries) entries.push(await plainRecord(key, entry));
    const file = { format: 'smriti-export', version: 1, exportedAt: new Date().toISOString(), entries };
    download(`${JSON.stringify(file, null, 1)}\n`, `smriti-export-${localDay()}.json`);
  }

  // --- the Markdown export, as src/account/markdown-export.ts writes it ---
  const timeZone = () => document.querySelector('meta[name="smriti-time-zone"]')?.content || 'UTC';
  const LONG_DAY = new Intl.DateTimeFormat('en-GB', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
  const MOMENT = {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  };
  const formatMoment = (at) => new Intl.DateTimeFormat('en-GB', { ...MOMENT, timeZone: timeZone() }).format(new Date(at));
  function formatDay(day) {
    const match = /^(\d{4,6})-(\d{2})-(\d{2})$/.exec(day);
    if (!match) return day;
    const at = new Date(Date.UTC(2000, Number(match[2]) - 1, Number(match[3])));
    at.setUTCFullYear(Number(match[1]));
    return LONG_DAY.format(at);
  }
  const escapeMarkdown = (text) => text.replace(/[\\`*_[\]<>#!~|&]/g, '\\$&');

  function demoteHeadings(md, body) {
    const parts = body.split(/(\r\n|\r|\n)/);
    const changed = {};
    const set = (line, value) => {
      if (parts[line * 2] === value) return;
      changed[line] = parts[line * 2];
      parts[line * 2] = value;
    };
    for (const heading of md.headingLines(body)) {
      const hashes = '#'.repeat(Math.min(heading.level + 2, 6));
      if (!heading.setext) {
        const line = parts[heading.start * 2];
        if (/^ {0,3}#/.test(line)) set(heading.start, line.replace(/^( {0,3})#+/, `$1${hashes}`));
        continue;
      }
      set(heading.start, `${hashes} ${heading.text.replace(/\s+/g, ' ')}`);
      for (let line = heading.start + 1; line < heading.end; line++) set(line, '');
    }
    return { text: parts.join(''), changed };
  }

  function markdownEntry(md, e) {
    const title = escapeMarkdown(e.title.replace(/\s+/g, ' ').trim()) || 'Untitled';
    const { text, changed } = demoteHeadings(md, e.body);
    const meta = {
      id: e.id,
      title: e.title,
      entryDate: e.entryDate,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      tags: e.tags,
      ...(e.starred ? { starred: true } : {}),
      ...(e.trashedAt ? { trashedAt: e.trashedAt } : {}),
      ...(Object.keys(changed).length > 0 ? { headings: changed } : {}),
    };
    const when = [formatDay(e.entryDate), `written ${formatMoment(e.createdAt)}`];
    if (e.updatedAt !== e.createdAt) when.push(`edited ${formatMoment(e.updatedAt)}`);
    if (e.tags.length > 0) when.push(escapeMarkdown(e.tags.map((t) => `#${t}`).join(' ')));
    if (e.trashedAt) when.push(`in the trash since ${formatMoment(e.trashedAt)}`);
    const json = JSON.stringify(meta).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
    return `\n## ${title}\n\n<!-- smriti-entry ${json} -->\n_${when.join(' · ')}_\n\n${text}\n`;
  }

  async function exportMarkdown(key, link) {
    const backup = await sealedBackup();
    if (!backup) return location.assign(link.href);
    const md = await sealing.markdown();
    const entries = [];
    for (const entry of backup.entries) entries.push(await plainRecord(key, entry));
    // Newest by the entry's own day, then newest written: what a reader of the Markdown expects.
    const newestFirst = (a, b) => (a < b ? 1 : a > b ? -1 : 0);
    entries.sort((a, b) => newestFirst(a.entryDate, b.entryDate) || newestFirst(a.createdAt, b.createdAt) || newestFirst(a.id, b.id));
    const head = `# Smriti journal\n\nExported ${formatMoment(new Date())} (${timeZone()}), newest entry first.\n`;
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone() }).format(new Date());
    download(head + entries.map((e) => markdownEntry(md, e)).join(''), `smriti-export-${day}.md`, 'text/markdown');
  }

  // The server's import namespace (src/journal/entries-bulk.ts): an imported entry gets the id the
  // server would give it, a UUIDv5 of the account and the exported id, so importing the same file
  // again, by either way, finds it.
  const IMPORT_NAMESPACE = '5b0c3f0e-2a8d-4d7e-9a3c-6e1f4b2d8c17';

  async function importedIdFor(fileId) {
    const namespace = IMPORT_NAMESPACE.replaceAll('-', '')
      .match(/../g)
      .map((h) => Number.parseInt(h, 16));
    const name = new TextEncoder().encode(`${sealing.userId()}/${fileId}`);
    const input = new Uint8Array(16 + name.length);
    input.set(namespace);
    input.set(name, 16);
    const bytes = new Uint8Array(await crypto.subtle.digest('SHA-1', input)).slice(0, 16);
    bytes[6] = 0x50 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** The entry's id in this account, or null when the account has it already (it is skipped). */
  async function idInAccount(fileId, owned) {
    if (typeof fileId !== 'string' || !fileId) return crypto.randomUUID();
    const id = fileId.toLowerCase();
    const derived = await importedIdFor(id);
    return owned.has(id) || owned.has(derived) ? null : derived;
  }

  const DAY = /^\d{4}-\d{2}-\d{2}$/;

  /** A Smriti JSON export as this account's sealed backup; a sentence when an entry cannot be read. */
  async function sealedFrom(key, file, owned) {
    const now = new Date().toISOString();
    const entries = [];
    for (const [index, entry] of (file.entries || []).entries()) {
      if (!entry || typeof entry.body !== 'string' || !DAY.test(entry.entryDate || ''))
        return { problem: `Nothing was imported: entry ${index + 1} of the file has no body or no date (YYYY-MM-DD).` };
      const id = await idInAccount(entry.id, owned);
      if (!id) continue;
      const title = typeof entry.title === 'string' ? entry.title : '';
      const tags = sealing.entryTags(Array.isArray(entry.tags) ? entry.tags.join(' ') : '', title, entry.body);
      const sealed = await sealing.sealEntry(key, id, { title, body: entry.body, tags, starred: entry.starred === true });
      const createdAt = entry.createdAt || now;
      entries.push({
        id,
        entryDate: entry.entryDate,
        sealed,
        createdAt,
        updatedAt: entry.updatedAt || createdAt,
        ...(entry.trashedAt ? { trashedAt: entry.trashedAt } : {}),
      });
    }
    return { backup: { format: 'smriti-sealed-backup', version: 1, exportedAt: now, userId: sealing.userId(), keys: [], entries } };
  }

  const ENTRY_HEAD = /\n## [^\n]*\n\n<!-- smriti-entry (\{[^\n]*\}) -->\n[^\n]*\n\n/g;

  /** A Markdown export's entries, shaped as the JSON export's (the server's readMarkdownExport); null when it is none. */
  function markdownEntries(text) {
    if (!text.startsWith('# Smriti journal\n')) return null;
    const heads = [...text.matchAll(ENTRY_HEAD)];
    const entries = [];
    for (const [i, head] of heads.entries()) {
      const start = head.index + head[0].length;
      const end = i + 1 < heads.length ? heads[i + 1].index : text.length;
      let meta;
      try {
        meta = JSON.parse(head[1]);
      } catch {
        return null;
      }
      const parts = text
        .slice(start, end)
        .replace(/\n$/, '')
        .split(/(\r\n|\r|\n)/);
      for (const [line, original] of Object.entries(meta.headings && typeof meta.headings === 'object' ? meta.headings : {}))
        if (typeof original === 'string' && Number(line) * 2 < parts.length) parts[Number(line) * 2] = original;
      const { headings: _, ...rest } = meta;
      entries.push({ ...rest, body: parts.join('') });
    }
    return { format: 'smriti-export', entries };
  }

  async function importFile(key, form, input) {
    const chosen = input.files?.[0];
    if (!chosen) return HTMLFormElement.prototype.submit.call(form);
    const text = await chosen.text();
    let parsed = markdownEntries(text);
    try {
      parsed ??= JSON.parse(text);
    } catch {
      // Neither: said below.
    }
    if (parsed?.format === 'smriti-sealed-backup') return HTMLFormElement.prototype.submit.call(form);
    if (parsed?.format !== 'smriti-export')
      return say(
        'A sealed journal imports a Smriti export (.json or .md) or its own sealed backup. Zip and Day One files can be imported once the journal is unsealed.',
      );
    // The account's own entries, trash included, so that what it has already is skipped.
    const current = await sealedBackup();
    if (!current) return HTMLFormElement.prototype.submit.call(form); // the server asks for a fresh sign-in first
    const { backup, problem } = await sealedFrom(key, parsed, new Set(current.entries.map((e) => e.id)));
    if (problem) return say(problem);
    const sealedFile = new File([JSON.stringify(backup)], chosen.name.replace(/(\.json)?$/i, '-sealed.json'), { type: 'application/json' });
    const transfer = new DataTransfer();
    transfer.items.add(sealedFile);
    input.files = transfer.files;
    HTMLFormElement.prototype.submit.call(form);
  }

  window.smritiSealedData = {
    start(key) {
      for (const link of document.querySelectorAll(EXPORT_LINK)) {
        link.addEventListener('click', (event) => {
          event.preventDefault();
          exportJson(key, link).catch(() => say('The export could not be made in this browser. Please try again.'));
        });
      }
      for (const link of document.querySelectorAll('a[href="/account/export?format=markdown"]')) {
        link.addEventListener('click', (event) => {
          event.preventDefault();
          exportMarkdown(key, link).catch(() => say('The export could not be made in this browser. Please try again.'));
        });
      }
      const form = document.getElementById('import');
      const input = form?.querySelector('input[type="file"]');
      if (!form || !input) return;
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        importFile(key, form, input).catch(() => say('The file could not be sealed in this browser. Nothing was imported.'));
      });
    },
  };
})();
