// Where this user's unsent text is kept on this device, and signing out without leaving it behind.
// Drafts live in localStorage, or in sessionStorage only (gone with the window) after a sign-in
// with "This is a shared computer". Signing out first lets the editor, in this tab and the others,
// save what it holds, asks before dropping text that could not be saved, then removes this user's
// drafts and markers; the other tabs then go to the sign-in page too.
(() => {
  const userMeta = document.querySelector('meta[name="smriti-user-id"]');
  if (!userMeta) return;
  const userId = userMeta.content;
  const shared = Boolean(document.querySelector('meta[name="smriti-shared-computer"]'));
  // Written by secureFetch.js; it names no one, but a signed-out browser has no use for it.
  const MARKERS = ['smriti:last-refresh'];
  /** Functions that save what a part of the page still holds; each resolves true when nothing is left unsaved. */
  const beforeSignOut = [];
  let signingOut = false;

  function storeOrNull(name) {
    try {
      return window[name];
    } catch {
      // Storage blocked by the browser's settings: reading the property itself throws.
      return null;
    }
  }

  const store = storeOrNull(shared ? 'sessionStorage' : 'localStorage');

  /** Keys of this user's drafts and set-aside text (`smriti:<kind>:<user id>:…`), in every store. */
  function keysOfThisUser(storage) {
    const keys = [];
    try {
      for (let i = 0; i < storage.length; i += 1) {
        const key = storage.key(i);
        if (key?.startsWith('smriti:') && key.split(':')[2] === userId) keys.push(key);
      }
    } catch {
      // Nothing readable, nothing to remove.
    }
    return keys;
  }

  function bothStores() {
    return ['localStorage', 'sessionStorage'].map(storeOrNull).filter(Boolean);
  }

  function removeAll() {
    for (const storage of bothStores()) {
      for (const key of [...keysOfThisUser(storage), ...MARKERS]) {
        try {
          storage.removeItem(key);
        } catch {
          // A store that cannot be written holds nothing of ours.
        }
      }
    }
  }

  function holdsText(storage, key) {
    try {
      const kept = JSON.parse(storage.getItem(key) || 'null');
      // A sealed journal's draft is ciphertext (public/js/sealing/journal.js) that says whether it holds words.
      if (kept?.sealedDraft) return kept.hasText === true;
      return Boolean(kept?.title?.trim?.() || kept?.body?.trim?.());
    } catch {
      return false;
    }
  }

  /** How many drafts or set-aside texts of this user, with any words in them, this browser holds. */
  function keptTextCount() {
    return bothStores().reduce((count, storage) => count + keysOfThisUser(storage).filter((key) => holdsText(storage, key)).length, 0);
  }

  window.smritiDrafts = {
    shared,

    get(key) {
      try {
        return JSON.parse(store?.getItem(key) || 'null');
      } catch {
        return null;
      }
    },

    /** False when the text could not be kept (storage full or off), or when signing out has begun. */
    set(key, value) {
      if (signingOut || !store) return false;
      try {
        store.setItem(key, JSON.stringify(value));
        return true;
      } catch {
        return false;
      }
    },

    remove(key) {
      try {
        store?.removeItem(key);
      } catch {
        // Nothing was kept in a browser without storage.
      }
    },

    /** `save()` resolves true once what it holds is saved (or there was nothing), false if it could not be. */
    beforeSignOut(save) {
      beforeSignOut.push(save);
    },
  };

  function confirmLeaving(unsaved, kept) {
    if (!unsaved && kept === 0) return true;
    const what = unsaved
      ? 'Your latest text (in this tab or another) could not be saved to your journal.'
      : `This browser still holds text of yours that was never saved to your journal (${kept === 1 ? 'one piece' : `${kept} pieces`}).`;
    return window.confirm(`${what} Signing out removes it from this device. Sign out anyway?`);
  }

  async function saveThisTab() {
    const saved = await Promise.all(beforeSignOut.map((save) => Promise.resolve(save()).catch(() => false)));
    return !saved.includes(false);
  }

  // Other tabs of this browser share the sign-in: they save before it ends and leave when it has.
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('smriti-sign-out') : null;
  const thisTab = Math.random().toString(36).slice(2);
  const TABS_ANSWER_WITHIN_MS = 300;
  const TABS_SAVE_WITHIN_MS = 10_000;

  /** Asks every other tab to save what it holds; true when all that answered could (or none did). */
  function saveOtherTabs() {
    if (!channel) return Promise.resolve(true);
    const request = `${thisTab}:${Date.now()}`;
    return new Promise((resolve) => {
      const saving = new Set();
      let allSaved = true;
      let answersIn = false;
      const finish = () => {
        channel.removeEventListener('message', onAnswer);
        clearTimeout(giveUp);
        resolve(allSaved);
      };
      const onAnswer = ({ data }) => {
        if (data?.request !== request) return;
        if (data.type === 'saving') saving.add(data.tab);
        if (data.type === 'saved') {
          saving.delete(data.tab);
          allSaved &&= data.ok;
          if (answersIn && saving.size === 0) finish();
        }
      };
      const giveUp = setTimeout(() => {
        allSaved = false;
        finish();
      }, TABS_SAVE_WITHIN_MS);
      channel.addEventListener('message', onAnswer);
      channel.postMessage({ type: 'save', userId, request });
      setTimeout(() => {
        answersIn = true;
        if (saving.size === 0) finish();
      }, TABS_ANSWER_WITHIN_MS);
    });
  }

  /** This tab has nothing left to show or keep: the server sends it to the sign-in page. */
  function leaveThisTab() {
    signingOut = true;
    removeAll();
    document.documentElement.hidden = true;
    location.reload();
  }

  channel?.addEventListener('message', async ({ data }) => {
    if (data?.userId !== userId || signingOut) return;
    if (data.type === 'signed-out') return leaveThisTab();
    if (data.type !== 'save') return;
    channel.postMessage({ type: 'saving', request: data.request, tab: thisTab });
    channel.postMessage({ type: 'saved', request: data.request, tab: thisTab, ok: await saveThisTab() });
  });

  /** Posts the sign-out form; the other tabs are told only once the cookies are gone. */
  async function postSignOut(form) {
    try {
      const response = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(new FormData(form)),
      });
      if (response.ok && response.redirected) {
        channel?.postMessage({ type: 'signed-out', userId });
        return location.assign(response.url);
      }
    } catch {
      // The plain form post below shows whatever went wrong.
    }
    form.submit();
  }

  async function signOut(form) {
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    const [here, elsewhere] = await Promise.all([saveThisTab(), saveOtherTabs()]);
    if (!confirmLeaving(!(here && elsewhere), keptTextCount())) {
      if (button) button.disabled = false;
      return;
    }
    signingOut = true;
    removeAll();
    await postSignOut(form);
  }

  for (const form of document.querySelectorAll('form[data-sign-out]')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!signingOut) signOut(form);
    });
  }
})();
