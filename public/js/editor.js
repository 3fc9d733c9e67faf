// The journal editor: autosaves through secureFetch and keeps an unsent copy on this device (see
// drafts.js) until the server confirms it, so no typed text is lost to an expired session or a lost network.
// Each save names the version it started from; if the entry changed in another tab or device the
// server answers 409, and the writer chooses between the two texts (see conflict.js).
// In a sealed journal (DESIGN §16) the entry is opened here and every save is sealed first (sealing/journal.js).
(async () => {
  const form = document.querySelector('form[data-editor]');
  if (!form || !window.secureFetch || !window.conflictPanels || !window.smritiDrafts) return;
  const seal = await window.smritiSealing?.editorSeal?.(form);
  if (seal?.locked) return; // the page is on its way to /journal/unlock
  const draftsOf = `smriti:draft:${form.dataset.userId}:`;
  const setAsideOf = `smriti:set-aside:${form.dataset.userId}:${form.dataset.entryId || 'null'}`;
  const drafts = seal
    ? await seal.drafts(window.smritiDrafts, [draftsOf + (form.dataset.entryId || 'new'), `${draftsOf}new`, setAsideOf])
    : window.smritiDrafts;
  if (seal) window.smritiSealedDrafts = drafts;

  const SAVE_AFTER_TYPING_MS = 800;
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 5000];
  const CONFLICT_STATUS = 'Not saved: changed elsewhere. Your text is kept until you choose.';
  const titleField = form.elements.namedItem('title');
  const bodyField = form.elements.namedItem('body');
  const dateField = form.elements.namedItem('entry_date');
  const tagsField = form.elements.namedItem('tags');
  const wordCount = form.querySelector('[data-word-count]');
  const statusLine = form.querySelector('[data-save-status]');
  const versionField = form.elements.namedItem('version');
  const userId = form.dataset.userId;
  const panels = window.conflictPanels(document.querySelector('[data-editor-page]'), () => `smriti:set-aside:${userId}:${entryId}`);
  let entryId = form.dataset.entryId || null;
  /** A new sealed entry's id, named by the browser: its ciphertext is sealed for it. */
  let newSealedId = null;
  let version = Number(versionField.value) || null;
  /** The stored entry this tab's text conflicts with; autosave waits for the writer's choice. */
  let conflict = panels.fromServer();
  let lastSaved = conflict ? { ...contentNow(), title: conflict.title, body: conflict.body } : contentNow();
  let typingTimer;
  let retryTimer;
  let retries = 0;
  let saving = null;
  let saveAgain = false;
  /** The server's message per field for the text on the page, when it refused to save it (400). */
  let refused = null;

  function contentNow() {
    return { title: titleField.value, body: bodyField.value, entryDate: dateField?.value ?? '', tags: tagsField?.value ?? '' };
  }

  function same(a, b) {
    return a.title === b.title && a.body === b.body && (a.entryDate ?? '') === (b.entryDate ?? '') && (a.tags ?? '') === (b.tags ?? '');
  }

  function draftKey(id = entryId) {
    return `smriti:draft:${userId}:${id || 'new'}`;
  }

  function setStatus(state, text) {
    statusLine.dataset.state = state;
    statusLine.textContent = text;
  }

  function setVersion(next) {
    version = next;
    versionField.value = String(next);
  }

  /** A full or disabled store must never stop a save. */
  function writeDraft(key, unsent = false) {
    // The draft remembers the version it was typed on, so restoring it can never silently overwrite;
    // `unsent` marks text whose save failed (offline, session expired), to be sent once back.
    // A refused draft is never sent again by itself: the writer fixes or discards it.
    return drafts.set(key, { ...contentNow(), version, unsent, refused, keptAt: Date.now() });
  }

  /** True from a failed save until the next one succeeds: text typed meanwhile is unsent too. */
  let saveFailed = false;

  function keepDraft(unsent = false) {
    if (unsent === true) saveFailed = true;
    if (!writeDraft(draftKey(), saveFailed))
      setStatus('error', 'This browser would not keep a local copy; stay on this page until it says Saved.');
  }

  function readDraft() {
    return drafts.get(draftKey());
  }

  function dropDraft(key = draftKey()) {
    drafts.remove(key);
  }

  // Another tab editing this entry shares the draft key: only drop a draft holding this text.
  function dropDraftHolding(content) {
    const draft = readDraft();
    if (!draft || same(draft, content)) dropDraft();
  }

  /** Each message beside its own field (aria-invalid, aria-describedby), as the server's form page does. */
  function showFieldErrors(fields) {
    clearFieldErrors();
    for (const [name, message] of Object.entries(fields ?? {})) {
      const field = form.elements.namedItem(name === 'entryDate' ? 'entry_date' : name);
      if (!field?.id || typeof message !== 'string') continue;
      let note = document.getElementById(`${field.id}-error`);
      if (!note) {
        note = document.createElement('p');
        note.className = 'field-error';
        note.id = `${field.id}-error`;
        field.after(note);
      }
      note.textContent = message;
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', note.id);
    }
  }

  function clearFieldErrors() {
    for (const field of form.querySelectorAll('[aria-invalid="true"]')) {
      field.removeAttribute('aria-invalid');
      field.removeAttribute('aria-describedby');
    }
    for (const note of form.querySelectorAll('.field-error')) note.remove();
  }

  /** A 400 with a message per field: shown beside the fields, kept with the draft, never re-sent by itself. */
  function refuse(fields, message) {
    refused = fields;
    saveFailed = false;
    writeDraft(draftKey());
    showFieldErrors(fields);
    setStatus('error', `Not saved: ${message} It is kept on this device until you fix or discard it.`);
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    const delay = RETRY_DELAYS_MS[Math.min(retries, RETRY_DELAYS_MS.length - 1)];
    retries += 1;
    retryTimer = setTimeout(save, delay);
  }

  function adopt(saved) {
    if (entryId) return;
    dropDraft(draftKey(null));
    entryId = saved.id;
    form.dataset.entryId = entryId;
    form.action = `/journal/${entryId}`;
    history.replaceState(history.state, '', `/journal/${entryId}/edit`);
    const heading = form.querySelector('h1');
    if (heading) heading.textContent = 'Edit entry';
    document.title = document.title.replace(/^New entry/, 'Edit entry');
  }

  function enterConflict(current) {
    conflict = current;
    clearTimeout(typingTimer);
    clearTimeout(retryTimer);
    retries = 0;
    setStatus('conflict', CONFLICT_STATUS);
    panels.show(current);
  }

  /** Save this tab's text on top of the version saved elsewhere. */
  function keepMine() {
    if (!conflict) return;
    setVersion(conflict.version);
    lastSaved = { title: conflict.title, body: conflict.body };
    conflict = null;
    panels.hide();
    save();
  }

  /** Show the version saved elsewhere; this tab's text is set aside until the writer dismisses it. */
  function takeTheirs() {
    if (!conflict) return;
    const mine = contentNow();
    panels.setAside(mine);
    titleField.value = conflict.title;
    bodyField.value = conflict.body;
    setVersion(conflict.version);
    lastSaved = contentNow();
    conflict = null;
    panels.hide();
    dropDraftHolding(mine);
    setStatus('saved', 'Showing the version saved elsewhere');
  }

  async function failureText(response) {
    try {
      return (await response.json()).message;
    } catch {
      return `The server answered ${response.status}.`;
    }
  }

  /** What a save sends: the fields, or in a sealed journal the sealed text, its date and version. */
  async function payloadOf(content) {
    if (!seal) return content;
    newSealedId ??= crypto.randomUUID();
    const id = entryId || newSealedId;
    return { ...(await seal.body(id, content)), ...(entryId ? { version } : { id }) };
  }

  async function sendOnce() {
    const content = contentNow();
    if (same(content, lastSaved)) return setStatus('saved', 'Saved');
    if (!content.title.trim() && !content.body.trim()) return setStatus('idle', '');
    setStatus('saving', 'Saving…');
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (entryId && version) headers['If-Match'] = `"${version}"`;
    let response;
    try {
      response = await window.secureFetch(entryId ? `/api/entries/${entryId}` : '/api/entries', {
        method: entryId ? 'PUT' : 'POST',
        headers,
        body: JSON.stringify(await payloadOf(content)),
      });
    } catch (error) {
      keepDraft(true);
      if (error.name === 'SessionExpiredError')
        return setStatus('offline', 'Session expired. Your text is kept on this device; sign in to continue.');
      setStatus('offline', 'Offline. Your text is kept on this device and will be saved when the server is back.');
      return scheduleRetry();
    }
    if (response.ok) {
      const saved = await response.json();
      saveFailed = false;
      refused = null;
      clearFieldErrors();
      lastSaved = content;
      retries = 0;
      setVersion(saved.version);
      adopt(saved);
      if (same(contentNow(), content)) {
        dropDraftHolding(content);
        setStatus('saved', 'Saved');
      } else {
        // The text typed meanwhile now builds on the version just saved (under the new id, if any).
        writeDraft(draftKey());
        saveAgain = true;
      }
      return;
    }
    if (response.status === 400) {
      const answer = await response.json().catch(() => null);
      if (answer?.fields) return refuse(answer.fields, answer.message);
    }
    keepDraft(true);
    if (response.status === 409) {
      const answer = await response.json().catch(() => null);
      if (answer?.current) return enterConflict(seal ? await seal.open(answer.current) : answer.current);
    }
    if (response.status >= 500 || response.status === 429) {
      setStatus('offline', 'The server is having trouble. Your text is kept on this device; retrying…');
      return scheduleRetry();
    }
    setStatus('error', await failureText(response));
  }

  async function save() {
    clearTimeout(typingTimer);
    clearTimeout(retryTimer);
    if (conflict) return;
    if (saving) {
      saveAgain = true;
      return saving;
    }
    saving = sendOnce().finally(() => {
      saving = null;
      if (saveAgain) {
        saveAgain = false;
        save();
      }
    });
    return saving;
  }

  function restoreDraft() {
    const draft = readDraft();
    if (!draft || typeof draft.body !== 'string' || typeof draft.title !== 'string') return;
    // Nothing written in it (the fields were emptied, or only the date or tags changed): nothing to offer.
    if (!draft.title.trim() && !draft.body.trim()) return dropDraft();
    // A new entry left before its first save was abandoned: it is offered, on today's date.
    const abandoned = !entryId && !draft.unsent;
    const kept = abandoned ? { ...draft, entryDate: contentNow().entryDate } : draft;
    if (same(kept, contentNow())) return dropDraft();
    if (Number.isInteger(draft.version)) setVersion(draft.version);
    titleField.value = draft.title;
    bodyField.value = draft.body;
    if (dateField && typeof kept.entryDate === 'string' && kept.entryDate) dateField.value = kept.entryDate;
    if (tagsField && typeof draft.tags === 'string') tagsField.value = draft.tags;
    countWords();
    if (draft.refused && typeof draft.refused === 'object') {
      refused = draft.refused;
      showFieldErrors(refused);
      return offerDraft('This text was not saved: the server refused it. Fix what is marked and press Save, or ');
    }
    if (abandoned) return offerDraft('This is text you left here unsaved. Keep writing or press Save to keep it, or ');
    setStatus('restored', 'Restored text that had not been saved yet.');
    save();
  }

  function offerDraft(text) {
    setStatus('restored-unsaved', text);
    const discard = document.createElement('button');
    discard.type = 'button';
    discard.className = 'link';
    discard.textContent = 'discard it';
    discard.dataset.discardDraft = '';
    discard.addEventListener('click', () => {
      dropDraft();
      // Back to what the page came with: empty, or a template's text, on today's date.
      form.reset();
      refused = null;
      clearFieldErrors();
      lastSaved = contentNow();
      countWords();
      setStatus('idle', '');
      titleField.focus();
    });
    statusLine.append(discard, '.');
  }

  const words = 'Segmenter' in Intl ? new Intl.Segmenter(undefined, { granularity: 'word' }) : null;
  function countWords() {
    if (!wordCount) return;
    const text = bodyField.value;
    const n = words ? [...words.segment(text)].filter((s) => s.isWordLike).length : (text.match(/\S+/g) || []).length;
    wordCount.textContent = n === 1 ? '1 word' : `${n.toLocaleString()} words`;
  }

  /** Done and Ctrl/Cmd+S: save what was typed in the last moment first (defect 4 of issue 23). */
  async function saveNow() {
    clearTimeout(typingTimer);
    await save();
    if (saving) await saving;
    return same(contentNow(), lastSaved);
  }

  form.addEventListener('input', () => {
    countWords();
    keepDraft();
    if (conflict) return;
    setStatus('pending', 'Unsaved changes');
    clearTimeout(typingTimer);
    typingTimer = setTimeout(save, SAVE_AFTER_TYPING_MS);
  });

  form.addEventListener('submit', async (event) => {
    if (event.submitter?.matches('[data-keep-mine]')) {
      event.preventDefault();
      return keepMine();
    }
    // Saving waits for the writer's choice between the two versions.
    if (conflict) {
      event.preventDefault();
      return document.querySelector('[data-conflict]').focus();
    }
    const content = contentNow();
    // Nothing to save yet: let the plain form post show the server's message.
    if (!content.title.trim() && !content.body.trim()) return;
    event.preventDefault();
    await save();
    if (saving) await saving;
    if (entryId && same(contentNow(), lastSaved)) location.assign(`/journal/${entryId}`);
  });

  window.addEventListener('smriti:session-expired', () => keepDraft(true));
  window.addEventListener('online', () => {
    if (!same(contentNow(), lastSaved)) save();
  });
  window.addEventListener('pagehide', () => {
    if (!same(contentNow(), lastSaved)) keepDraft();
  });

  form.querySelector('[data-done]')?.addEventListener('click', async (event) => {
    const content = contentNow();
    if (conflict || (same(content, lastSaved) && !saving) || (!content.title.trim() && !content.body.trim())) return;
    event.preventDefault();
    if (await saveNow()) location.assign(entryId ? `/journal/${entryId}` : '/journal');
  });

  document.addEventListener('keydown', (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== 's') return;
    event.preventDefault();
    if (!conflict) saveNow();
  });

  document.querySelector('[data-take-theirs]').addEventListener('click', (event) => {
    event.preventDefault();
    takeTheirs();
  });

  // Signing out waits for this: true once the text on the page is saved (or there is none to save).
  drafts.beforeSignOut(async () => {
    if (conflict) return false;
    const content = contentNow();
    if (!content.title.trim() && !content.body.trim()) return true;
    await save();
    if (saving) await saving;
    return same(contentNow(), lastSaved);
  });

  countWords();
  panels.restoreSetAside();
  if (conflict) setStatus('conflict', CONFLICT_STATUS);
  else restoreDraft();
})();
