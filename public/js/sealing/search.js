// Search in a sealed journal (DESIGN §16): the server cannot read the entries, so the browser keeps
// its own index (MiniSearch), sealed with the journal key in IndexedDB between visits, and brings it
// up to date from the entries' versions before each search. Every word must match; the last may be
// a prefix; accents are folded; Chinese, Japanese and Korean text is indexed as single characters
// and pairs of characters, so a word inside a sentence without spaces is found.
// Needs /vendor/minisearch/index.js and /js/sealing/markdown.js; exposes window.smritiSealedSearch.
(() => {
  const sealing = window.smritiSealing;
  const MiniSearch = window.MiniSearch;
  if (!sealing || !MiniSearch) return;

  const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
  const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
  const INDEX_LABEL = 'search-index';
  const INDEX_SHAPE = 2; // a kept index of another shape is built again

  /** Lowercase, without accents: "Café" and "cafe" are one word. */
  const fold = (term) => term.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

  /** The terms of a text: words, and each CJK run as its characters and its pairs. */
  // Words are runs of letters, marks, digits and _; a regular expression is far quicker than a
  // word segmenter over 10,000 entries, and queries are split the same way.
  const WORD = /[\p{L}\p{M}\p{N}_]+/gu;

  function* wordsOf(text) {
    for (const [word] of String(text).matchAll(WORD)) yield word;
  }

  function tokenize(text) {
    const terms = [];
    for (const word of wordsOf(text)) {
      if (!CJK.test(word)) {
        terms.push(word);
        continue;
      }
      for (const part of word.split(CJK_RUN)) if (part) terms.push(part);
      for (const [run] of word.matchAll(CJK_RUN)) {
        const chars = [...run];
        chars.forEach((char, i) => {
          terms.push(char);
          if (i + 1 < chars.length) terms.push(char + chars[i + 1]);
        });
      }
    }
    return terms;
  }

  /** A query's terms: CJK runs as their pairs (a single character alone), so every pair must be there. */
  function queryTerms(query) {
    const terms = [];
    for (const word of wordsOf(query)) {
      for (const part of word.split(CJK_RUN)) if (part) terms.push(part);
      for (const [run] of word.matchAll(CJK_RUN)) {
        const chars = [...run];
        if (chars.length === 1) terms.push(run);
        for (let i = 0; i + 1 < chars.length; i += 1) terms.push(chars[i] + chars[i + 1]);
      }
    }
    return terms.map(fold).filter(Boolean);
  }

  const OPTIONS = {
    fields: ['title', 'body', 'tags'],
    storeFields: ['title', 'entryDate', 'excerpt', 'tags', 'starred'],
    tokenize,
    processTerm: (term) => fold(term) || null,
    searchOptions: { boost: { title: 2, tags: 1.5 }, combineWith: 'AND', prefix: true, tokenize: queryTerms, processTerm: (t) => t },
  };

  async function loadIndex(key) {
    const kept = await sealing.dbGet(INDEX_LABEL);
    if (!kept || kept.userId !== sealing.userId()) return { index: new MiniSearch(OPTIONS), versions: {} };
    try {
      const json = new TextDecoder().decode(await sealing.openBytes(key, INDEX_LABEL, kept));
      const { index, versions, shape } = JSON.parse(json);
      if (shape !== INDEX_SHAPE) return { index: new MiniSearch(OPTIONS), versions: {} };
      return { index: MiniSearch.loadJS(index, OPTIONS), versions };
    } catch {
      return { index: new MiniSearch(OPTIONS), versions: {} };
    }
  }

  async function keepIndex(key, index, versions) {
    const bytes = new TextEncoder().encode(JSON.stringify({ index: index.toJSON(), versions, shape: INDEX_SHAPE }));
    const { iv, sealed } = await sealing.sealBytes(key, INDEX_LABEL, bytes);
    await sealing.dbPut(INDEX_LABEL, { userId: sealing.userId(), iv, sealed });
  }

  const PAGE_SIZE = 500;

  async function entriesPage(page) {
    const answer = await sealing.api(`/api/entries?page=${page}&pageSize=${PAGE_SIZE}`);
    if (!answer.ok) throw new Error(answer.body.message || 'The entries could not be loaded.');
    return answer.body;
  }

  /** Every entry outside the trash: id, version, date and ciphertext; the first page tells how many more to ask for, four at a time. */
  async function allEntries() {
    const first = await entriesPage(1);
    const pages = Math.ceil(first.total / PAGE_SIZE);
    const rest = [];
    for (let page = 2; page <= pages; page += 4) {
      const asked = [];
      for (let p = page; p < page + 4 && p <= pages; p += 1) asked.push(entriesPage(p));
      for (const answer of await Promise.all(asked)) rest.push(...answer.entries);
    }
    return [...first.entries, ...rest];
  }

  /** The index brought up to date: changed entries opened and indexed again, removed ones left out. */
  async function freshIndex(key, md) {
    const { index, versions } = await loadIndex(key);
    const entries = await allEntries();
    const present = new Set(entries.map((e) => e.id));
    let changed = false;
    for (const id of Object.keys(versions)) {
      if (present.has(id)) continue;
      if (index.has(id)) index.discard(id);
      delete versions[id];
      changed = true;
    }
    const stale = entries.filter((entry) => versions[entry.id] !== entry.version);
    // Opened a few hundred at a time: WebCrypto decrypts them side by side, off this thread.
    const opened = [];
    for (let start = 0; start < stale.length; start += 250) {
      const chunk = stale.slice(start, start + 250);
      opened.push(
        ...(await Promise.all(
          chunk.map((entry) => (entry.sealed ? sealing.openEntry(key, entry.id, entry.sealed).catch(() => null) : entry)),
        )),
      );
    }
    for (const [i, entry] of stale.entries()) {
      const plain = opened[i];
      if (!plain) continue;
      if (index.has(entry.id)) index.discard(entry.id);
      const text = md.text(plain.body); // parsed once: the excerpt is its start
      index.add({
        id: entry.id,
        title: plain.title,
        body: text,
        tags: (plain.tags || []).join(' '),
        entryDate: entry.entryDate,
        excerpt: md.cut(text),
        starred: Boolean(plain.starred),
      });
      versions[entry.id] = entry.version;
      changed = true;
    }
    // Kept after the results are on the page: the person waits for the search, not for the storage.
    return { index, keep: changed ? () => keepIndex(key, index, versions) : () => {} };
  }

  function card(hit) {
    const item = document.createElement('li');
    item.className = 'entry-card';
    const title = document.createElement('a');
    title.className = 'entry-title';
    title.href = `/journal/${hit.id}`;
    title.textContent = hit.title || 'Untitled';
    const day = document.createElement('time');
    day.className = 'entry-day';
    day.dateTime = hit.entryDate;
    day.textContent = hit.entryDate;
    const excerpt = document.createElement('p');
    excerpt.className = 'excerpt';
    excerpt.textContent = hit.excerpt;
    item.append(title, ' ', day, excerpt);
    return item;
  }

  function show(section, describe, count, hits) {
    for (const node of [...section.children]) if (!node.matches('.journal-head, form.search, .trash-link')) node.remove();
    const note = document.createElement('p');
    note.dataset.sealedSearchResults = '';
    const list = document.createElement('ol');
    list.className = 'entries';
    for (const hit of hits) list.append(card(hit));
    note.className = count === 0 ? 'empty' : 'hint';
    note.textContent = describe(count);
    const before = section.querySelector('.trash-link');
    if (before) before.before(note, list);
    else section.append(note, list);
  }

  /** The page's filters, as the server reads them: from, to, tag, starred. */
  function filtersOf(params) {
    const tag = (params.get('tag') || '').replace(/^#/, '').normalize('NFC').toLowerCase();
    return {
      from: params.get('from') || '',
      to: params.get('to') || '',
      tag,
      starred: params.get('starred') === '1',
    };
  }

  function passes(hit, filters, excluded) {
    if (filters.from && hit.entryDate < filters.from) return false;
    if (filters.to && hit.entryDate > filters.to) return false;
    if (
      filters.tag &&
      !String(hit.tags || '')
        .split(' ')
        .includes(filters.tag)
    )
      return false;
    if (filters.starred && !hit.starred) return false;
    return !excluded.has(hit.id);
  }

  const SHOWN = 100;

  /** The hits of a query with the page's filters, and how to say what was found. */
  function find(index, query, filters) {
    const words = query.split(/\s+/).filter(Boolean);
    const wanted = words.filter((w) => !w.startsWith('-')).join(' ');
    const unwanted = words.filter((w) => w.startsWith('-') && w.length > 1).map((w) => w.slice(1));
    const excluded = new Set(unwanted.flatMap((word) => index.search(word, { prefix: false }).map((hit) => hit.id)));
    const found = queryTerms(wanted).length > 0 ? index.search(wanted) : index.search(MiniSearch.wildcard);
    const hits = found.filter((hit) => passes(hit, filters, excluded));
    if (!wanted.trim()) hits.sort((a, b) => (a.entryDate < b.entryDate ? 1 : a.entryDate > b.entryDate ? -1 : 0));
    const what = wanted.trim() ? 'every word' : filters.tag ? `the tag #${filters.tag}` : 'a star';
    const order = wanted.trim() ? 'best matches first' : 'newest first';
    const describe = (n) => {
      if (n === 0) return wanted.trim() ? `No entry holds every one of these words: ${wanted}.` : 'No entries here.';
      const shown = n > SHOWN ? ` The best ${SHOWN} are shown; add a word to narrow the search.` : '';
      return `${n} entr${n === 1 ? 'y has' : 'ies have'} ${what}, ${order} (found in this browser).${shown}`;
    };
    return { hits, describe };
  }

  /**
   * Search (?q=, with -word to leave entries out) or a filtered list (?tag=, ?starred=1) of a sealed
   * journal. Once the index is open, typing in the search field searches again at once, in memory.
   */
  async function run(key, section) {
    const params = new URLSearchParams(location.search);
    const filters = filtersOf(params);
    const query = params.get('q') || '';
    if (!query.trim() && !filters.tag && !filters.starred) return;
    section.setAttribute('aria-busy', 'true');
    const { index, keep } = await freshIndex(key, await sealing.markdown());
    const searchNow = (text) => {
      const { hits, describe } = find(index, text, filters);
      show(section, describe, hits.length, hits.slice(0, SHOWN));
    };
    searchNow(query);
    section.removeAttribute('aria-busy');
    await keep();
    const field = section.querySelector('form.search input[name="q"]');
    field?.addEventListener('input', () => {
      if (!field.value.trim() && !filters.tag && !filters.starred) return;
      searchNow(field.value);
      const next = new URL(location.href);
      next.searchParams.set('q', field.value);
      history.replaceState(history.state, '', next);
    });
  }

  /** Builds the kept index ahead of the first search, while the page is idle; nothing when one is kept. */
  async function warm(key) {
    const kept = await sealing.dbGet(INDEX_LABEL);
    if (kept?.userId === sealing.userId()) return;
    const { keep } = await freshIndex(key, await sealing.markdown());
    await keep();
  }

  window.smritiSealedSearch = { run, warm, tokenize, queryTerms };
})();
