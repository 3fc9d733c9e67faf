// A sealed journal's keys on /account/sealing (DESIGN §16): add a passkey, replace the passphrase or
// the recovery key, remove a key. Wrapping needs the journal key itself, which this browser holds only
// non-extractable; so a current secret (passphrase, recovery key or passkey) opens a wrapper once more,
// extractable, for the moment it takes to wrap it again.
(() => {
  const form = document.getElementById('change-journal-keys');
  const sealing = window.smritiSealing;
  if (!form || !sealing) return;

  const statusLine = form.querySelector('[data-keys-status]');
  const errorSlot = document.querySelector('[data-sealing-error]');
  const newPassphrase = form.querySelector('[data-new-passphrase]');
  const newRecovery = form.querySelector('[data-new-recovery]');
  let recovery = null;

  function showError(message) {
    statusLine.textContent = '';
    errorSlot.textContent = message;
    errorSlot.hidden = false;
    errorSlot.focus();
  }

  const choice = () => form.elements.namedItem('add').value;

  function showChoice() {
    newPassphrase.hidden = choice() !== 'passphrase';
    if (choice() !== 'recovery') {
      newRecovery.hidden = true;
      recovery = null;
    }
  }

  async function api(path, init) {
    const answer = await sealing.api(path, init);
    if (!answer.ok) throw new Error(answer.body.message || `The server answered ${answer.status}.`);
    return answer.body;
  }

  /** The journal key, extractable, opened by the secret typed (or a passkey's touch); null when none opens it. */
  async function extractableKey(wrappers) {
    const secret = form.elements.namedItem('current_secret').value;
    const attempts = [];
    if (!secret) {
      const passkeys = wrappers.filter((w) => w.kind === 'passkey');
      if (passkeys.length === 0) return null;
      const touch = await sealing.passkeyPrf(passkeys.map((w) => w.credentialId).filter(Boolean));
      const wrapper = touch && passkeys.find((w) => w.credentialId === touch.credentialId);
      if (wrapper) attempts.push([wrapper, touch.prfOutput]);
    } else {
      const typed = await sealing.parseRecoveryKey(secret);
      if (typed) for (const w of wrappers.filter((w) => w.kind === 'recovery')) attempts.push([w, typed]);
      for (const w of wrappers.filter((w) => w.kind === 'passphrase')) attempts.push([w, secret]);
    }
    for (const [wrapper, value] of attempts) {
      try {
        return await sealing.openWrapper(wrapper, value, true);
      } catch (error) {
        if (!(error instanceof sealing.WrongSecret)) throw error;
      }
    }
    return null;
  }

  /** The new wrapper's body, or a sentence saying what is missing. */
  async function newWrapper(key) {
    if (choice() === 'passkey') {
      const touch = await sealing.passkeyPrf();
      if (!touch) return { problem: 'That passkey cannot open a sealed journal (its authenticator has no PRF).' };
      return { wrapper: await sealing.wrappers.passkey(key, touch.prfOutput, touch.credentialId) };
    }
    if (choice() === 'passphrase') {
      const passphrase = form.elements.namedItem('new_passphrase').value;
      const weak = sealing.passphraseWeakness
        ? sealing.passphraseWeakness(passphrase)
        : passphrase.length < 12 && 'Use at least 12 characters.';
      if (weak) return { problem: weak };
      if (passphrase !== form.elements.namedItem('new_passphrase_confirm').value) return { problem: 'The two new passphrases differ.' };
      return { wrapper: await sealing.wrappers.passphrase(key, passphrase) };
    }
    const typed = await sealing.parseRecoveryKey(form.elements.namedItem('new_recovery_key_confirm').value);
    if (!typed || typed.some((byte, i) => byte !== recovery.secret[i]))
      return { problem: 'That is not the new recovery key shown above. Type it again, group by group.' };
    return { wrapper: await sealing.wrappers.recovery(key, recovery.secret) };
  }

  /** The wrappers the new one replaces: the old passphrase or recovery key, or this passkey's older wrapper. */
  function replaced(wrappers, wrapper, newId) {
    return wrappers.filter(
      (w) =>
        w.id !== newId &&
        w.kind === wrapper.kind &&
        (wrapper.kind !== 'passkey' || (w.credentialId && w.credentialId === wrapper.credentialId)),
    );
  }

  async function change() {
    errorSlot.hidden = true;
    if (choice() === 'recovery' && !recovery) {
      recovery = await sealing.newRecoveryKey();
      document.getElementById('new-recovery-key').textContent = recovery.text;
      newRecovery.hidden = false;
      return form.elements.namedItem('new_recovery_key_confirm').focus();
    }
    const wrappers = await sealing.wrappedKeys();
    statusLine.textContent = 'Checking…';
    const key = await extractableKey(wrappers);
    if (!key) return showError('That does not open your journal: type its passphrase or recovery key, or use a passkey that opens it.');
    const { wrapper, problem } = await newWrapper(key);
    if (problem) return showError(problem);
    const { id } = await api('/api/sealing/keys', { method: 'POST', body: JSON.stringify(wrapper) });
    for (const old of replaced(wrappers, wrapper, id)) await api(`/api/sealing/keys/${old.id}`, { method: 'DELETE' });
    location.reload();
  }

  form.hidden = false;
  for (const radio of form.querySelectorAll('input[name="add"]')) radio.addEventListener('change', showChoice);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    change()
      .catch((error) =>
        showError(
          error?.name === 'NotAllowedError'
            ? 'The passkey request was cancelled or timed out. Try again when you are ready.'
            : error.message,
        ),
      )
      .finally(() => {
        button.disabled = false;
      });
  });

  for (const button of document.querySelectorAll('[data-remove-key]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      errorSlot.hidden = true;
      const names = { passkey: 'this passkey', passphrase: 'the journal passphrase', recovery: 'the recovery key' };
      const name = names[button.closest('li').dataset.kind] || 'this key';
      if (!window.confirm(`Remove ${name}? It will no longer open your journal.`)) return;
      try {
        await api(`/api/sealing/keys/${button.dataset.removeKey}`, { method: 'DELETE' });
        location.reload();
      } catch (error) {
        showError(error.message);
      }
    });
  }
})();
