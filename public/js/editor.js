// The journal editor: autosaves through secureFetch and keeps an unsent copy in localStorage
// until the server confirms it, so no typed text is lost to an expired session or a lost network.
(() => {
  const form = document.querySelector('form[data-editor]');
  if (!form || !window.secureFetch) return;

  const SAVE_AFTER_TYPING_MS = 800;
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 5000];
  const titleField = form.elements.namedItem('title');
  const bodyField = form.elements.namedItem('body');
  const statusLine = form.querySelector('[data-save-status]');
  const userId = form.dataset.userId;
  let entryId = form.dataset.entryId || null;
  let lastSaved = contentNow();
  let typingTimer;
  let retryTimer;
  let retries = 0;
  let saving = null;
  let saveAgain = false;

  function contentNow() {
    return { title: titleField.value, body: bodyField.value };
  }

  function same(a, b) {
    return a.title === b.title && a.body === b.body;
  }

  function draftKey(id = entryId) {
    return `smriti:draft:${userId}:${id || 'new'}`;
  }

  function setStatus(state, text) {
    statusLine.dataset.state = state;
    statusLine.textContent = text;
  }

  function keepDraft() {
    try {
      localStorage.setItem(draftKey(), JSON.stringify({ ...contentNow(), keptAt: Date.now() }));
    } catch {
      setStatus('error', 'This browser would not keep a local copy; stay on this page until it says Saved.');
    }
  }

  function readDraft() {
    try {
      return JSON.parse(localStorage.getItem(draftKey()) || 'null');
    } catch {
      return null;
    }
  }

  function dropDraft(key = draftKey()) {
    try {
      localStorage.removeItem(key);
    } catch {
      // Nothing to clean up in a browser without storage.
    }
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    const delay = RETRY_DELAYS_MS[Math.min(retries, RETRY_DELAYS_MS.length - 1)];
    retries += 1;
    retryTimer = setTimeout(save, delay);
  }

  function adopt(saved) {
    if (entryId) return;
    const newKey = draftKey(saved.id);
    dropDraft(draftKey(null));
    entryId = saved.id;
    form.dataset.entryId = entryId;
    form.action = `/journal/${entryId}`;
    history.replaceState(history.state, '', `/journal/${entryId}/edit`);
    const heading = form.querySelector('h1');
    if (heading) heading.textContent = 'Edit entry';
    document.title = document.title.replace(/^New entry/, 'Edit entry');
    if (!same(contentNow(), lastSaved)) localStorage.setItem(newKey, JSON.stringify({ ...contentNow(), keptAt: Date.now() }));
  }

  async function failureText(response) {
    try {
      return (await response.json()).message;
    } catch {
      return `The server answered ${response.status}.`;
    }
  }

  async function sendOnce() {
    const content = contentNow();
    if (same(content, lastSaved)) return setStatus('saved', 'Saved');
    if (!content.title.trim() && !content.body.trim()) return setStatus('idle', '');
    setStatus('saving', 'Saving…');
    let response;
    try {
      response = await window.secureFetch(entryId ? `/api/entries/${entryId}` : '/api/entries', {
        method: entryId ? 'PUT' : 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(content),
      });
    } catch (error) {
      keepDraft();
      if (error.name === 'SessionExpiredError')
        return setStatus('offline', 'Session expired. Your text is kept on this device; sign in to continue.');
      setStatus('offline', 'Offline. Your text is kept on this device and will be saved when the server is back.');
      return scheduleRetry();
    }
    if (response.ok) {
      const saved = await response.json();
      lastSaved = content;
      retries = 0;
      adopt(saved);
      if (same(contentNow(), content)) {
        dropDraft();
        setStatus('saved', 'Saved');
      } else {
        saveAgain = true;
      }
      return;
    }
    keepDraft();
    if (response.status >= 500 || response.status === 429) {
      setStatus('offline', 'The server is having trouble. Your text is kept on this device; retrying…');
      return scheduleRetry();
    }
    setStatus('error', await failureText(response));
  }

  async function save() {
    clearTimeout(typingTimer);
    clearTimeout(retryTimer);
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
    if (same(draft, contentNow())) return dropDraft();
    titleField.value = draft.title;
    bodyField.value = draft.body;
    setStatus('restored', 'Restored text that had not been saved yet.');
    save();
  }

  form.addEventListener('input', () => {
    keepDraft();
    setStatus('pending', 'Unsaved changes');
    clearTimeout(typingTimer);
    typingTimer = setTimeout(save, SAVE_AFTER_TYPING_MS);
  });

  form.addEventListener('submit', async (event) => {
    const content = contentNow();
    // Nothing to save yet: let the plain form post show the server's message.
    if (!content.title.trim() && !content.body.trim()) return;
    event.preventDefault();
    await save();
    if (saving) await saving;
    if (entryId && same(contentNow(), lastSaved)) location.assign(`/journal/${entryId}`);
  });

  window.addEventListener('smriti:session-expired', keepDraft);
  window.addEventListener('online', () => {
    if (!same(contentNow(), lastSaved)) save();
  });
  window.addEventListener('pagehide', () => {
    if (!same(contentNow(), lastSaved)) keepDraft();
  });

  restoreDraft();
})();
