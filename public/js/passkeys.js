// Passkey ceremonies for the forms marked data-passkey: ask the server for options (JSON), let the
// browser talk to the authenticator (@simplewebauthn/browser), then post its answer in the form's
// hidden "response" field, so the server answers as it does for any form.
(() => {
  const webauthn = window.SimpleWebAuthnBrowser;
  const forms = document.querySelectorAll('form[data-passkey]');
  if (forms.length === 0) return;

  const MESSAGES = {
    unsupported: 'This browser cannot use passkeys. Use your password instead.',
    cancelled: 'The passkey request was cancelled or timed out. Try again when you are ready.',
    exists: 'This device already holds a passkey for your account.',
    network: 'Smriti could not be reached. Check your connection and try again.',
    insecure: 'Passkeys work only when Smriti is opened by its name (not an IP address), over HTTPS or on localhost.',
    failed: 'Something went wrong talking to your passkey. Please try again.',
  };

  class ServerRefusal extends Error {}

  function showError(form, message) {
    const slot = form.querySelector('[data-passkey-error]');
    slot.textContent = message;
    slot.hidden = false;
  }

  function clearError(form) {
    const slot = form.querySelector('[data-passkey-error]');
    slot.textContent = '';
    slot.hidden = true;
  }

  const signedIn = (form) => form.dataset.passkey === 'add' || form.dataset.passkey === 'confirm';

  function emailOf(form) {
    const source = form.dataset.emailFrom && document.querySelector(form.dataset.emailFrom);
    return source ? source.value : '';
  }

  /** The ceremony's options, or null when the page is leaving (a fresh sign-in is needed first). */
  async function fetchOptions(form) {
    // Signed-in ceremonies go through secureFetch (the layout loads it first): it renews a lapsed
    // access token and retries, and on step_up_required takes the page to the fresh sign-in.
    const send = signedIn(form) ? window.secureFetch : window.fetch.bind(window);
    const response = await send(form.dataset.options, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(form.dataset.emailFrom ? { email: emailOf(form) } : {}),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 403 && body.error === 'step_up_required') return null;
    if (!response.ok) throw new ServerRefusal(body.message || MESSAGES.failed);
    return body;
  }

  function describe(error) {
    if (error instanceof ServerRefusal) return error.message;
    if (error && (error.name === 'NotAllowedError' || error.name === 'AbortError')) return MESSAGES.cancelled;
    if (error && error.name === 'InvalidStateError') return MESSAGES.exists;
    // The browser refuses the RP id: an IP address, or a host that is not the page's own.
    if (error && error.name === 'SecurityError') return MESSAGES.insecure;
    if (error instanceof TypeError) return MESSAGES.network;
    return MESSAGES.failed;
  }

  /**
   * A sealed journal (DESIGN §16): every ceremony asks for the app's PRF output. A sign-in (or a
   * fresh sign-in's confirmation) keeps it on this device (as a key) to open the journal on the next
   * page; the server never receives it, so it is taken out before the answer is JSON-encoded.
   */
  async function withPrf(optionsJSON) {
    const sealing = window.smritiSealing;
    if (!sealing || !window.crypto?.subtle) return optionsJSON;
    const first = await sealing.prfSalt();
    return { ...optionsJSON, extensions: { ...optionsJSON.extensions, prf: { eval: { first } } } };
  }

  async function keepPrf(form, answer) {
    const prf = answer.clientExtensionResults?.prf;
    const first = prf?.results?.first;
    if (prf) delete prf.results;
    if (!first || !['sign-in', 'confirm'].includes(form.dataset.passkey) || !window.smritiSealing) return;
    await window.smritiSealing.keepSignInPrf(new Uint8Array(first), answer.id).catch(() => {});
  }

  async function submitWith(form, answer) {
    await keepPrf(form, answer);
    form.querySelector('input[name="response"]').value = JSON.stringify(answer);
    const email = form.querySelector('input[type="hidden"][name="email"]');
    if (email) email.value = emailOf(form);
    const shared = form.querySelector('[data-passkey-shared]');
    if (shared) shared.value = document.querySelector(shared.dataset.passkeyShared)?.checked ? '1' : '';
    // HTMLFormElement.submit skips the submit event, so this handler does not run again.
    HTMLFormElement.prototype.submit.call(form);
  }

  async function ceremony(form, optionsJSON) {
    const creating = form.dataset.passkey === 'add' || form.dataset.passkey === 'register';
    const options = await withPrf(optionsJSON);
    return creating ? webauthn.startRegistration({ optionsJSON: options }) : webauthn.startAuthentication({ optionsJSON: options });
  }

  async function run(form) {
    clearError(form);
    if (!webauthn?.browserSupportsWebAuthn()) return showError(form, MESSAGES.unsupported);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const optionsJSON = await fetchOptions(form);
      if (!optionsJSON) return;
      await submitWith(form, await ceremony(form, optionsJSON));
    } catch (error) {
      showError(form, describe(error));
      button.disabled = false;
    }
  }

  for (const form of forms) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(form);
    });
  }

  // Autofill (conditional mediation): the email field offers this site's passkeys among its
  // suggestions. A button ceremony started meanwhile aborts this one.
  const autofill = document.querySelector('form[data-passkey-autofill]');
  if (autofill && webauthn) {
    webauthn
      .browserSupportsWebAuthnAutofill()
      .then(async (supported) => {
        if (!supported) return;
        const optionsJSON = await fetchOptions(autofill);
        if (!optionsJSON) return;
        const options = await withPrf(optionsJSON);
        await submitWith(autofill, await webauthn.startAuthentication({ optionsJSON: options, useBrowserAutofill: true }));
      })
      // Autofill is an offer the person did not ask for: its failures stay quiet (the button explains).
      .catch(() => {});
  }
})();
