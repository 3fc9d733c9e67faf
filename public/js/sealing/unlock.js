// /journal/unlock (DESIGN §16): opens the sealed journal on this device with a passkey (PRF), the
// journal passphrase or the recovery key, then goes on to the page that asked (?next=).
(() => {
  const form = document.getElementById('unlock-journal');
  const sealing = window.smritiSealing;
  if (!form || !sealing) return;

  const errorSlot = form.querySelector('[data-unlock-error]');
  const statusLine = form.querySelector('[data-unlock-status]');
  const passkeyButton = document.getElementById('unlock-with-passkey');
  // A shared computer never keeps the journal open past the sign-in.
  if (sealing.sharedComputer()) form.elements.namedItem('remember').closest('label').remove();

  /** Only a path of this site: never another origin through "//host" or a scheme. */
  function nextPath() {
    const wanted = new URLSearchParams(location.search).get('next') || form.elements.namedItem('next').value || '/journal';
    return wanted.startsWith('/') && !wanted.startsWith('//') && !wanted.startsWith('/\\') ? wanted : '/journal';
  }

  function showError(message) {
    statusLine.textContent = '';
    errorSlot.textContent = message;
    errorSlot.hidden = false;
    errorSlot.focus();
  }

  function busy(on, text = '') {
    for (const button of form.querySelectorAll('button')) button.disabled = on;
    statusLine.textContent = text;
  }

  async function opened(key, wrapper) {
    await sealing.keepKey(key, { remember: form.elements.namedItem('remember')?.checked });
    await sealing.markUsed(wrapper.id);
    location.replace(nextPath());
  }

  /** Tries each wrapper of a kind with the secret; the first that opens wins. */
  async function tryWrappers(wrappers, secret) {
    for (const wrapper of wrappers) {
      try {
        return { key: await sealing.openWrapper(wrapper, secret), wrapper };
      } catch (error) {
        if (!(error instanceof sealing.WrongSecret)) throw error;
      }
    }
    return null;
  }

  async function withSecrets() {
    const passphrase = form.elements.namedItem('passphrase').value;
    const recoveryTyped = form.elements.namedItem('recovery_key').value.trim();
    if (!passphrase && !recoveryTyped) return showError('Enter your journal passphrase or your recovery key, or use a passkey.');
    const wrappers = await sealing.wrappedKeys();
    if (passphrase) {
      busy(true, 'Checking the passphrase…');
      const found = await tryWrappers(
        wrappers.filter((w) => w.kind === 'passphrase'),
        passphrase,
      );
      if (found) return opened(found.key, found.wrapper);
      busy(false);
      return showError('That passphrase does not open your journal. Check it and try again.');
    }
    const secret = await sealing.parseRecoveryKey(recoveryTyped);
    if (!secret) return showError('That is not a recovery key: it has 32 characters in 8 groups of 4. Check for a typo.');
    busy(true, 'Checking the recovery key…');
    const found = await tryWrappers(
      wrappers.filter((w) => w.kind === 'recovery'),
      secret,
    );
    if (found) return opened(found.key, found.wrapper);
    busy(false);
    return showError('That recovery key does not open your journal.');
  }

  async function withPasskey() {
    const wrappers = (await sealing.wrappedKeys()).filter((w) => w.kind === 'passkey');
    if (wrappers.length === 0) return showError('No passkey opens this journal yet. Use your passphrase or recovery key.');
    busy(true, 'Waiting for your passkey…');
    const touch = await sealing.passkeyPrf(wrappers.map((w) => w.credentialId).filter(Boolean));
    const wrapper = touch && wrappers.find((w) => w.credentialId === touch.credentialId);
    const found = wrapper && (await tryWrappers([wrapper], touch.prfOutput));
    if (found) return opened(found.key, found.wrapper);
    busy(false);
    return showError('That passkey does not open your journal. Use your passphrase or recovery key.');
  }

  function failed(error) {
    busy(false);
    if (error?.name === 'NotAllowedError' || error?.name === 'AbortError')
      return showError('The passkey request was cancelled or timed out. Try again when you are ready.');
    showError(`The journal could not be opened: ${error?.message || 'something went wrong'}. Please try again.`);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errorSlot.hidden = true;
    withSecrets().catch(failed);
  });
  passkeyButton.addEventListener('click', () => {
    errorSlot.hidden = true;
    withPasskey().catch(failed);
  });

  // Already open on this device (another tab opened it): nothing to ask.
  sealing.ready.then(async () => {
    if (sealing.journalSealed() && (await sealing.currentKey())) location.replace(nextPath());
  });
})();
