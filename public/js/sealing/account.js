// /account/sealing (DESIGN §16): makes the journal key and its wrappers (passphrase, passkey,
// recovery key), sends the wrapped copies, seals the journal, then re-writes every entry sealed, in
// batches, with a progress bar. Re-opening the page while entries remain resumes where it stopped.
(() => {
  const page = document.querySelector('[data-sealing-page]');
  const sealing = window.smritiSealing;
  if (!page || !sealing) return;

  const BATCH = 50;
  const PHOTO_BATCH = 10;
  const form = document.getElementById('seal-journal');
  const errorSlot = page.querySelector('[data-sealing-error]');
  const progressBox = page.querySelector('[data-progress-box]');
  const progress = document.getElementById('sealing-progress');
  const progressText = page.querySelector('[data-progress-text]');
  const progressLabel = page.querySelector('[data-progress-label]');

  function showError(message) {
    if (!errorSlot) return sealing.showProblem?.(message);
    errorSlot.textContent = message;
    errorSlot.hidden = false;
    errorSlot.focus?.();
  }
  const clearError = () => {
    if (errorSlot) errorSlot.hidden = true;
  };

  const HINT = 'Try three or four words that do not belong together, or a short sentence only you would write.';
  const email = (page.dataset.email || '').trim().toLowerCase();
  let estimator = null;
  /** zxcvbn-ts (its own files, loaded on this page only), built at first use: the server's rule, run here. */
  function zxcvbn() {
    const libraries = window.zxcvbnts;
    if (!estimator && libraries?.core && libraries['language-common'] && libraries['language-en']) {
      const common = libraries['language-common'];
      const english = libraries['language-en'];
      estimator = new libraries.core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...english.dictionary },
        graphs: common.adjacencyGraphs,
        translations: english.translations,
      });
    }
    return estimator;
  }

  /**
   * Why the journal passphrase would be guessed early, or null: zxcvbn's score 3 (about 10^8 guesses)
   * or more, as for sign-in passwords (src/auth/password-strength.ts), and never the account's email.
   * The passphrase never leaves this page, so this is the only check it gets.
   */
  function weakness(passphrase) {
    const candidate = passphrase.trim().toLowerCase();
    const localPart = email.split('@')[0] || '';
    if (email && (candidate === email || (localPart && candidate === localPart)))
      return `Your email address is the first thing someone would try. ${HINT}`;
    const judge = zxcvbn();
    if (!judge) return 'The passphrase checker did not load. Reload the page and try again.';
    const result = judge.check(passphrase, email ? [email, localPart] : []);
    if (result.score < 3) {
      const why = result.feedback.warning ? ` ${result.feedback.warning}` : '';
      return `This passphrase is too easy to guess.${why} ${HINT}`;
    }
    return passphrase.length < 12 ? `Use at least 12 characters. ${HINT}` : null;
  }
  sealing.passphraseWeakness = weakness;

  async function apiOrThrow(path, init) {
    const answer = await sealing.api(path, init);
    if (!answer.ok) throw new Error(answer.body.message || `The server answered ${answer.status}.`);
    return answer.body;
  }

  // --- re-writing every entry, in batches: sealed (state sealed) or back to plaintext (unsealing) ---
  const rewrite = {
    sealed: {
      label: 'sealed',
      async write(key, entry) {
        return { id: entry.id, version: entry.version, sealed: await sealing.sealEntry(key, entry.id, entry) };
      },
      done: () => document.getElementById('sealing-done'),
    },
    unsealing: {
      label: 'unsealed',
      async write(key, entry) {
        const plain = await sealing.openEntry(key, entry.id, entry.sealed);
        return { id: entry.id, version: entry.version, ...plain };
      },
      done: () => document.getElementById('unsealing-done'),
    },
  };

  /** The journal's existing photos, one at a time, re-written in place (public/js/sealing/photos.js). */
  async function rewritePhotos(key, state) {
    const first = await apiOrThrow(`/api/sealing/photos?limit=${PHOTO_BATCH}`);
    const total = first.remaining || 0;
    if (total === 0) return 0;
    await sealing.loadScript('/js/sealing/photos.js');
    const label = rewrite[state].label;
    progressBox.hidden = false;
    progressLabel.textContent = state === 'sealed' ? 'Sealing your photos…' : 'Unsealing your photos…';
    progress.max = total;
    let count = 0;
    for (let batch = first.photos; batch?.length; batch = (await apiOrThrow(`/api/sealing/photos?limit=${PHOTO_BATCH}`)).photos) {
      for (const { id } of batch) {
        const answer = await window.smritiSealedPhotos.rewrite(key, state, id);
        if (answer.rewritten) count += 1;
        progress.value = Math.min(count, total);
        progressText.textContent = `${count} of ${Math.max(total, count)} photos ${label}.`;
      }
    }
    return count;
  }

  async function rewriteRemaining(key, state, total) {
    const way = rewrite[state];
    // Unsealing opens the photos first: the last entry written back deletes the journal's keys.
    if (state === 'unsealing') await rewritePhotos(key, state);
    progressBox.hidden = false;
    progressLabel.textContent = state === 'sealed' ? 'Sealing your entries…' : 'Unsealing your entries…';
    progress.max = Math.max(total, 1);
    let count = 0;
    let stalled = 0;
    const report = () => {
      progress.max = Math.max(progress.max, count);
      progress.value = count;
      progressText.textContent = `${count} of ${Math.max(total, count)} entries ${way.label}.`;
    };
    for (;;) {
      const { entries } = await apiOrThrow(`/api/sealing/pending?limit=${BATCH}`);
      if (!entries || entries.length === 0) break;
      const batch = await Promise.all(entries.map((entry) => way.write(key, entry)));
      const answer = await apiOrThrow('/api/sealing/batch', { method: 'POST', body: JSON.stringify({ entries: batch }) });
      count += answer.sealed?.length ?? 0;
      // A conflict (the entry changed meanwhile) comes back in the next pending list with its new version.
      stalled = answer.sealed?.length ? 0 : stalled + 1;
      if (stalled >= 3) throw new Error('Some entries keep changing meanwhile. Close other tabs of Smriti and reload this page.');
      report();
    }
    progress.value = progress.max;
    progressLabel.textContent = state === 'sealed' ? 'Your entries, sealed' : 'Your entries, unsealed';
    report();
    if (state === 'sealed' && (await rewritePhotos(key, state)) > 0) progressLabel.textContent = 'Your entries and photos, sealed';
    await sealing.dbDelete('search-index');
    if (state === 'unsealing') await sealing.forgetKey({ evenRemembered: true });
    way.done().hidden = false;
  }

  async function resume() {
    const status = await apiOrThrow('/api/sealing');
    if (status.state === 'open' || (status.remaining <= 0 && !status.photosRemaining)) return;
    const key = await sealing.ready;
    if (!key) {
      const note = page.querySelector('[data-sealing-status]');
      const link = document.createElement('a');
      link.href = `/journal/unlock?next=${encodeURIComponent(location.pathname)}`;
      link.textContent = status.state === 'sealed' ? 'Open the journal to go on sealing.' : 'Open the journal to go on unsealing.';
      note?.append(' ', link);
      return;
    }
    await rewriteRemaining(key, status.state, status.remaining);
  }

  function problemOf(error) {
    if (error?.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out. Try again when you are ready.';
    if (error?.name === 'ServerUnavailableError')
      return 'Smriti could not be reached, so sealing stopped; nothing is lost. Reload this page to go on where it stopped.';
    return error?.message || 'Something went wrong. Reload this page to go on where it stopped.';
  }

  // --- making the keys ---
  let recovery = null;

  function secretsProblem() {
    const passphrase = form.elements.namedItem('passphrase').value;
    const confirm = form.elements.namedItem('passphrase_confirm').value;
    const usePasskey = form.elements.namedItem('use_passkey')?.checked ?? false;
    if (!passphrase && !usePasskey) return 'Choose a journal passphrase (or a passkey) to open your journal with.';
    if (passphrase) {
      const weak = weakness(passphrase);
      if (weak) return weak;
      if (passphrase !== confirm) return 'The two passphrases differ. Type the same passphrase twice.';
    }
    return null;
  }

  async function toRecoveryStep() {
    clearError();
    const problem = secretsProblem();
    if (problem) return showError(problem);
    recovery = await sealing.newRecoveryKey();
    document.getElementById('recovery-key').textContent = recovery.text;
    form.querySelector('[data-sealing-step="secrets"]').hidden = true;
    form.querySelector('[data-sealing-step="recovery"]').hidden = false;
    form.elements.namedItem('recovery_key_confirm').focus();
  }

  /** The wrapped copies to send: the recovery key's, and the passphrase's and the passkey's as chosen. */
  async function makeWrappers(journalKey, posted) {
    const passphrase = form.elements.namedItem('passphrase').value;
    const wrappers = posted.has('recovery') ? [] : [await sealing.wrappers.recovery(journalKey, recovery.secret)];
    if (form.elements.namedItem('use_passkey')?.checked && !posted.has('passkey')) {
      const touch = await sealing.passkeyPrf();
      if (!touch) throw new Error('That passkey cannot open a sealed journal (its authenticator has no PRF). Use a passphrase instead.');
      wrappers.push(await sealing.wrappers.passkey(journalKey, touch.prfOutput, touch.credentialId));
    }
    if (passphrase && !posted.has('passphrase')) wrappers.push(await sealing.wrappers.passphrase(journalKey, passphrase));
    return wrappers;
  }

  /**
   * The journal key being sealed with, and the kinds of wrapper the server has for it: a second try
   * (after a passkey was cancelled, or the network failed) goes on with the same key, never a new one
   * beside the old one's wrappers.
   */
  let made = null;

  /** Wrappers an unfinished sealing left (a closed tab, another tab): of a key nobody holds any more. */
  async function dropUnsealedKeys() {
    const status = await apiOrThrow('/api/sealing');
    if (status.state !== 'open') throw new Error('Your journal is sealed already. Reload this page.');
    for (const key of status.keys || []) await apiOrThrow(`/api/sealing/keys/${key.id}`, { method: 'DELETE' });
  }

  async function seal() {
    const typed = await sealing.parseRecoveryKey(form.elements.namedItem('recovery_key_confirm').value);
    if (!typed || typed.some((byte, i) => byte !== recovery.secret[i]))
      return showError('That is not the recovery key shown above. Type it again, group by group.');
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      if (!made) {
        await dropUnsealedKeys();
        made = { extractable: await sealing.newJournalKey(), posted: new Set() };
      }
      for (const wrapper of await makeWrappers(made.extractable, made.posted)) {
        await apiOrThrow('/api/sealing/keys', { method: 'POST', body: JSON.stringify(wrapper) });
        made.posted.add(wrapper.kind);
      }
      await apiOrThrow('/api/sealing/seal', { method: 'POST', body: '{}' });
      const key = await sealing.settle(made.extractable);
      made = null;
      await sealing.keepKey(key, { remember: form.elements.namedItem('remember')?.checked });
      recovery = null;
      form.hidden = true;
      const status = await apiOrThrow('/api/sealing');
      await rewriteRemaining(key, 'sealed', status.remaining);
    } catch (error) {
      button.disabled = false;
      showError(problemOf(error));
    }
  }

  if (form) {
    form.hidden = false;
    // A shared computer never keeps the journal open past the sign-in.
    if (sealing.sharedComputer()) form.elements.namedItem('remember').closest('label').remove();
    const strength = form.querySelector('[data-passphrase-strength]');
    form.elements.namedItem('passphrase').addEventListener('input', (event) => {
      const value = event.target.value;
      strength.textContent = value ? weakness(value) || 'Strong enough.' : '';
    });
    form.querySelector('[data-sealing-next]').addEventListener('click', () => toRecoveryStep());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (recovery) seal();
      else toRecoveryStep();
    });
    // The page prints as the recovery kit: the print style sheet leaves out the chrome.
    form.querySelector('[data-print-recovery]').addEventListener('click', () => window.print());
  }

  const unsealForm = document.getElementById('unseal-journal');
  async function unseal() {
    if (!unsealForm.elements.namedItem('unseal_confirm').checked)
      return showError('Tick the box first: unsealing makes your entries readable by the server again.');
    const key = await sealing.ready;
    if (!key) return location.assign(`/journal/unlock?next=${encodeURIComponent(location.pathname)}`);
    unsealForm.querySelector('button').disabled = true;
    try {
      const answer = await apiOrThrow('/api/sealing/unseal', { method: 'POST', body: '{}' });
      unsealForm.hidden = true;
      await rewriteRemaining(key, 'unsealing', answer.remaining);
    } catch (error) {
      unsealForm.querySelector('button').disabled = false;
      showError(problemOf(error));
    }
  }
  if (unsealForm) {
    unsealForm.hidden = false;
    unsealForm.addEventListener('submit', (event) => {
      event.preventDefault();
      clearError();
      unseal();
    });
  }

  page.querySelector('[data-lock-journal]')?.addEventListener('click', async () => {
    await sealing.forgetKey({ evenRemembered: true });
    location.assign('/journal/unlock?next=%2Faccount%2Fsealing');
  });

  resume().catch((error) => showError(problemOf(error)));
})();
