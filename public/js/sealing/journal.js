// The pages of a sealed journal (DESIGN §16): the server sends the same shells with each entry's
// ciphertext in data-sealed; this opens them with the journal key and fills in the title, excerpt,
// body and tags. Without an open key, a journal page goes to /journal/unlock?next=… first.
// A passkey sign-in that brought back the PRF output opens the key here, on the first page after it.
(() => {
  const sealing = window.smritiSealing;
  if (!sealing?.userId()) return;

  const HASHTAG = /(?<![\p{L}\p{N}_&#/])#([\p{L}\p{N}_-]*\p{L}[\p{L}\p{N}_-]*)/gu;
  const MAX_TAGS = 20;
  const PHOTO_REFERENCE = /\(\/photos\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})[)?\s]/g;
  const normal = (tag) => tag.normalize('NFC').toLowerCase();

  /** The tags of an entry as the server makes them: the typed words, then the text's #words. */
  function entryTags(typed, title, body) {
    const words = String(typed || '')
      .split(/[\s,]+/)
      .map((w) => normal(w.replace(/^#/, '')))
      .filter(Boolean);
    const inText = [...`${title}\n${body}`.matchAll(HASHTAG)].map((m) => normal(m[1])).filter((t) => t.length <= 40);
    return [...new Set([...words, ...inText])].slice(0, MAX_TAGS);
  }
  /** The tags the tags field shows: those not written as #word in the text. */
  function typedTags(tags, title, body) {
    const inText = new Set([...`${title}\n${body}`.matchAll(HASHTAG)].map((m) => normal(m[1])));
    return tags.filter((t) => !inText.has(t));
  }

  const loaded = new Map();
  function loadScript(src) {
    if (!loaded.has(src)) {
      loaded.set(
        src,
        new Promise((resolve, reject) => {
          const script = document.createElement('script');
          script.src = src;
          script.onload = resolve;
          script.onerror = () => reject(new Error(`${src} did not load`));
          document.head.append(script);
        }),
      );
    }
    return loaded.get(src);
  }
  async function markdown() {
    await loadScript('/vendor/markdown-it/markdown-it.min.js');
    // A module: the server's rules (public/js/markdown-rules.js) come with it.
    await import('/js/sealing/markdown.js');
    return window.smritiMarkdown;
  }

  const isJournalPage = () => /^\/journal(\/|$)/.test(location.pathname) && location.pathname !== '/journal/unlock';

  function tagList(tags) {
    const list = document.createElement('ul');
    list.className = 'tags';
    list.setAttribute('aria-label', 'Tags');
    for (const tag of tags) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `/journal?tag=${encodeURIComponent(tag)}`;
      link.textContent = `#${tag}`;
      item.append(link);
      list.append(item);
    }
    return list;
  }
  function setTags(container, after, tags) {
    container.querySelector(':scope > ul.tags')?.remove();
    if (tags.length > 0) after.after(tagList(tags));
  }

  /** A card of a list (journal, trash, search): title, star, excerpt, tags. */
  function fillCard(card, entry, md) {
    const title = card.querySelector('.entry-title');
    if (title) title.textContent = entry.title || 'Untitled';
    const purgeName = card.querySelector('a .visually-hidden');
    if (purgeName) purgeName.textContent = ` (${entry.title || 'Untitled'})`;
    if (entry.starred && title && !card.querySelector('.star-mark')) {
      const mark = document.createElement('span');
      mark.className = 'star-mark';
      mark.innerHTML = '<span aria-hidden="true">★</span><span class="visually-hidden">Starred</span>';
      title.after(' ', mark);
    }
    const excerpt = card.querySelector('.excerpt');
    if (excerpt) {
      excerpt.textContent = md.excerpt(entry.body);
      setTags(card, excerpt, entry.tags);
    }
    const photo = md.firstPhoto(entry.body);
    if (photo && !card.querySelector('.entry-thumb')) {
      const thumb = document.createElement('img');
      Object.assign(thumb, { className: 'entry-thumb', alt: '', width: 96, height: 96 });
      thumb.dataset.photo = photo; // opened with the journal key, then shown (showPhotos)
      card.prepend(thumb);
    }
  }

  /** The page's own photos, opened with the journal key when sealed and shown from blob: URLs. */
  async function showPhotos(key, root = document) {
    if (!root.querySelector('img[data-photo]:not([src]), img[src^="/photos/"]')) return;
    await loadScript('/js/sealing/photos.js');
    await window.smritiSealedPhotos.show(key, root);
  }

  /** Rendered Markdown put in place without the browser fetching its photos first (showPhotos does). */
  function placeHtml(container, html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    for (const img of template.content.querySelectorAll('img[src^="/photos/"]')) {
      img.dataset.photo = img.getAttribute('src');
      img.removeAttribute('src');
    }
    container.replaceChildren(template.content);
  }

  /** An entry's own page (or a version of it): heading, body, tags, star. */
  function fillArticle(article, entry, md) {
    const heading = article.querySelector('h1');
    if (heading) heading.textContent = entry.title || 'Untitled';
    const body = article.querySelector('.entry-body');
    // The entry's own page (it names its version) ticks checklist items; a version of its history does not.
    if (body) placeHtml(body, md.render(entry.body, { checklist: Boolean(article.dataset.version) }));
    const hint = article.querySelector(':scope > p.hint');
    if (hint) setTags(article, hint, entry.tags);
    const star = article.querySelector('.star-form');
    if (star) {
      star.querySelector('button[aria-pressed]')?.setAttribute('aria-pressed', String(entry.starred));
      const icon = star.querySelector('button [aria-hidden]');
      if (icon) icon.textContent = entry.starred ? '★' : '☆';
      const field = star.querySelector('input[name="starred"]');
      if (field) field.value = entry.starred ? '0' : '1';
    }
    document.title = document.title.replace(/^[^·]*·/, `${entry.title || 'Untitled'} ·`);
  }

  /** Writes the entry again, sealed, on top of the version the page shows; the saved entry, or null. */
  async function rewrite(article, key, next) {
    const id = article.dataset.entryId;
    const sealed = await sealing.sealEntry(key, id, next);
    const answer = await sealing.api(`/api/entries/${id}`, {
      method: 'PUT',
      headers: { 'If-Match': `"${article.dataset.version}"` },
      body: JSON.stringify({ sealed, version: Number(article.dataset.version) }),
    });
    if (answer.ok) return answer.body;
    sealing.showProblem(
      answer.status === 409
        ? 'This entry was changed in another tab or device. Reload the page to see it, then try again.'
        : answer.body.message || 'The change could not be saved. Reload the page and try again.',
    );
    return null;
  }

  /** Starring and ticking checklist items write the entry again, sealed: the server cannot change what it cannot read. */
  function sealEntryControls(article, entry, key, md) {
    article.querySelector('.star-form')?.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (await rewrite(article, key, { ...entry, starred: !entry.starred })) location.reload();
    });
    article.querySelector('.entry-body')?.addEventListener('click', async (event) => {
      const box = event.target.closest('button[data-task-line]');
      if (!box || box.getAttribute('aria-busy') === 'true') return;
      const body = md.setItem(entry.body, Number(box.dataset.taskLine), box.getAttribute('aria-checked') !== 'true');
      if (body === undefined) return;
      box.setAttribute('aria-busy', 'true');
      const saved = await rewrite(article, key, { ...entry, body });
      box.removeAttribute('aria-busy');
      if (!saved) return;
      entry.body = body;
      article.dataset.version = String(saved.version);
      fillArticle(article, entry, md);
      showPhotos(key, article).catch(() => {});
      document.getElementById(box.id)?.focus();
    });
  }

  sealing.showProblem = (message) => {
    const banner = document.querySelector('[data-secure-fetch-status]');
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = false;
  };

  async function renderSealed(key) {
    const holders = [...document.querySelectorAll('[data-sealed]')].filter((el) => el.dataset.sealed && !el.matches('form'));
    if (holders.length === 0) return;
    const md = await markdown();
    let unreadable = 0;
    for (const holder of holders) {
      let entry;
      try {
        entry = await sealing.openEntry(key, holder.dataset.entryId, holder.dataset.sealed);
      } catch {
        unreadable += 1;
        continue;
      }
      for (const title of holder.querySelectorAll('[data-sealed-title]')) title.textContent = entry.title || 'Untitled';
      if (holder.matches('article')) {
        fillArticle(holder, entry, md);
        sealEntryControls(holder, entry, key, md);
      } else fillCard(holder, entry, md);
      holder.dataset.opened = '';
    }
    // Not one of several opens: this device kept the key of an earlier sealing (the journal was unsealed and sealed
    // again elsewhere). It is forgotten, and the journal asks for a key of the present one.
    if (unreadable === holders.length && holders.length > 1) {
      await sealing.forgetKey({ evenRemembered: true });
      location.replace(`/journal/unlock?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    if (unreadable > 0)
      sealing.showProblem(
        `${unreadable === 1 ? 'One entry' : `${unreadable} entries`} could not be opened with this journal key. Lock the journal and open it again.`,
      );
  }

  /** The open journal key, or null; a page of the journal without one goes to the unlock page. */
  async function start() {
    if (!sealing.journalSealed()) {
      await sealing.openWithSignInPrf(); // a sign-in's PRF output is not kept where there is nothing to open
      return null;
    }
    let key = await sealing.currentKey();
    if (!key && (await sealing.openWithSignInPrf())) key = await sealing.currentKey();
    if (!key && isJournalPage()) {
      document.documentElement.hidden = true;
      location.replace(`/journal/unlock?next=${encodeURIComponent(location.pathname + location.search)}`);
      return null;
    }
    if (key) await renderSealed(key);
    // Not awaited: the pictures come in as they are opened, after the text.
    if (key) showPhotos(key).catch(() => {});
    if (key && location.pathname === '/account') {
      await loadScript('/js/sealing/data.js');
      window.smritiSealedData.start(key);
    }
    // The server cannot read tags or stars: a sealed journal's ?tag= and ?starred= lists are made here.
    const params = new URLSearchParams(location.search);
    const filtered = location.pathname === '/journal' && (params.get('tag') || params.get('starred') === '1');
    const searchPage = document.querySelector('[data-search-page]') || (filtered ? document.querySelector('section.journal') : null);
    if (key && searchPage) {
      await loadScript('/vendor/minisearch/index.js');
      await loadScript('/js/sealing/search.js');
      await window.smritiSealedSearch.run(key, searchPage);
    } else if (key && location.pathname === '/journal' && 'requestIdleCallback' in window) {
      // The first search of a journal opened on this device need not wait for its index.
      requestIdleCallback(
        () =>
          loadScript('/vendor/minisearch/index.js')
            .then(() => loadScript('/js/sealing/search.js'))
            .then(() => window.smritiSealedSearch.warm(key))
            .catch(() => {}), // a search later builds it instead
      );
    }
    document.documentElement.dataset.journalOpen = key ? 'true' : 'false';
    return key;
  }

  function setField(form, name, value) {
    const field = form.elements.namedItem(name);
    if (!field) return;
    field.value = value;
    field.defaultValue = value; // the editor's "discard" resets the form to what the page came with
  }

  /**
   * The editor's drafts (public/js/drafts.js keeps them in browser storage), sealed with the journal
   * key: the same synchronous get/set/remove, over a copy in memory opened before the editor starts;
   * each write is sealed and stored in order, a moment later.
   */
  async function sealedDrafts(plain, key, preload) {
    const opened = new Map();
    let queue = Promise.resolve();
    const label = (name) => `draft:${name}`;
    for (const name of preload) {
      const kept = plain.get(name);
      if (!kept?.sealedDraft) continue;
      try {
        const bytes = await sealing.openBytes(key, label(name), {
          iv: sealing.fromBase64(kept.sealedDraft.iv),
          sealed: sealing.fromBase64(kept.sealedDraft.text),
        });
        opened.set(name, JSON.parse(new TextDecoder().decode(bytes)));
      } catch {
        plain.remove(name); // sealed with another key: nobody can read it any more
      }
    }
    async function store(name, value) {
      if (opened.get(name) !== value) return; // a later write or a removal came first
      const { iv, sealed } = await sealing.sealBytes(key, label(name), new TextEncoder().encode(JSON.stringify(value)));
      const hasText = Boolean(value.title?.trim() || value.body?.trim());
      plain.set(name, { sealedDraft: { iv: sealing.toBase64(iv), text: sealing.toBase64(sealed) }, hasText, keptAt: value.keptAt });
    }
    return {
      ...plain,
      get: (name) => opened.get(name) ?? null,
      set(name, value) {
        opened.set(name, value);
        queue = queue.then(() => store(name, value)).catch(() => {});
        return true;
      },
      remove(name) {
        opened.delete(name);
        queue = queue.then(() => plain.remove(name));
      },
    };
  }

  /**
   * The editor's half (public/js/editor.js): null in an open journal; in a sealed one, the entry's
   * text put into the fields, and how to seal a save and open a conflicting version.
   */
  sealing.editorSeal = async (form) => {
    if (!sealing.journalSealed()) return null;
    const key = await sealing.ready;
    if (!key) return { locked: true };
    let starred = false;
    if (form.dataset.sealed) {
      const entry = await sealing.openEntry(key, form.dataset.entryId, form.dataset.sealed).catch(() => null);
      if (!entry) {
        sealing.showProblem(
          'This entry could not be opened with this journal key, so it cannot be edited here. Lock the journal and open it again.',
        );
        return { locked: true };
      }
      starred = entry.starred;
      setField(form, 'title', entry.title);
      setField(form, 'body', entry.body);
      setField(form, 'tags', typedTags(entry.tags, entry.title, entry.body).join(' '));
    }
    // Unsealing: the server takes plaintext again, and a save un-seals this entry.
    if (sealing.journalState() === 'unsealing') return null;
    return {
      async body(id, content) {
        const tags = entryTags(content.tags, content.title, content.body);
        const sealed = await sealing.sealEntry(key, id, { title: content.title, body: content.body, tags, starred });
        // The photos the text shows, so the server keeps them linked to the entry it cannot read.
        const photos = [...new Set([...`${content.body}`.matchAll(PHOTO_REFERENCE)].map((m) => m[1].toLowerCase()))].slice(0, 500);
        return { sealed, photos, ...(content.entryDate ? { entryDate: content.entryDate } : {}) };
      },
      drafts: (plain, keys) => sealedDrafts(plain, key, keys),
      async open(current) {
        if (!current?.sealed) return current;
        const entry = await sealing.openEntry(key, current.id, current.sealed);
        return { ...current, title: entry.title, body: entry.body };
      },
    };
  };

  sealing.entryTags = entryTags;
  sealing.typedTags = typedTags;
  sealing.loadScript = loadScript;
  sealing.markdown = markdown;
  sealing.ready = start().catch(() => null);
})();
