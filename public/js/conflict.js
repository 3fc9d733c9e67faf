// The editor's conflict panels: the version saved in another tab or device beside the writer's
// own text, and the writer's text "set aside" after they take the other version. Used by editor.js.
(() => {
  // A sealed journal's editor hands in its sealed store (window.smritiSealedDrafts), so set-aside text is sealed too.
  const drafts = () => window.smritiSealedDrafts ?? window.smritiDrafts;
  const storageGet = (key) => drafts()?.get(key) ?? null;
  const storageSet = (key, value) => drafts()?.set(key, value) ?? false;
  const storageRemove = (key) => drafts()?.remove(key);

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // No clipboard permission or an insecure origin: the text is still on the page.
      return false;
    }
  }

  function asText(content) {
    return content.title ? `${content.title}\n\n${content.body}` : content.body;
  }

  /** `setAsideKey()` names where the writer's set-aside text is kept for the entry being edited. */
  window.conflictPanels = (root, setAsideKey) => {
    const notice = root.querySelector('[data-conflict]');
    const theirs = root.querySelector('[data-conflict-theirs]');
    const setAside = root.querySelector('[data-set-aside]');
    const setAsideText = root.querySelector('[data-set-aside-text]');
    const setAsideHint = root.querySelector('[data-set-aside-hint]');

    root.querySelector('[data-conflict-hint]').textContent =
      '“Take theirs” puts the other version in the editor and sets your text aside, on this page and this device, until you dismiss it.';

    function showSetAside(content, hint) {
      setAsideText.value = asText(content);
      setAsideHint.textContent = hint;
      setAside.hidden = false;
    }

    root.querySelector('[data-set-aside-copy]').addEventListener('click', async () => {
      setAsideHint.textContent = (await copyText(setAsideText.value))
        ? 'Copied to the clipboard. It stays here until you dismiss it.'
        : 'This browser would not copy it; select the text and copy it by hand.';
    });
    root.querySelector('[data-set-aside-dismiss]').addEventListener('click', () => {
      storageRemove(setAsideKey());
      setAside.hidden = true;
      setAsideText.value = '';
    });

    return {
      /** The stored version a stale form post was answered with (409 page), or null. */
      fromServer() {
        if (theirs.hidden) return null;
        const body = theirs.querySelector('[data-theirs-body]').textContent;
        return { version: Number(theirs.dataset.version), title: theirs.querySelector('[data-theirs-title]').textContent, body };
      },

      show(current) {
        theirs.dataset.version = String(current.version);
        theirs.querySelector('[data-theirs-version]').textContent = String(current.version);
        theirs.querySelector('[data-theirs-title]').textContent = current.title;
        theirs.querySelector('[data-theirs-body]').textContent = current.body;
        const changedAt = theirs.querySelector('time');
        changedAt.dateTime = current.updatedAt;
        changedAt.textContent = new Date(current.updatedAt).toUTCString();
        window.localiseTimes?.(theirs);
        root.classList.add('has-conflict');
        notice.hidden = false;
        theirs.hidden = false;
        notice.focus();
      },

      hide() {
        root.classList.remove('has-conflict');
        notice.hidden = true;
        theirs.hidden = true;
      },

      /** Keeps the writer's text where they can get it back: on the page, on this device, and on the clipboard. */
      async setAside(content) {
        const kept = storageSet(setAsideKey(), { ...content, keptAt: Date.now() });
        showSetAside(content, kept ? 'It stays here, and on this device, until you dismiss it.' : 'It stays here until you dismiss it.');
        if (await copyText(asText(content))) setAsideHint.textContent += ' It is also on the clipboard.';
      },

      /** Shows text set aside before a reload, so closing the tab did not lose it. */
      restoreSetAside() {
        const kept = storageGet(setAsideKey());
        if (kept && typeof kept.title === 'string' && typeof kept.body === 'string') {
          showSetAside(kept, 'Kept from an earlier visit; it stays until you dismiss it.');
        }
      },
    };
  };
})();
