// A sealed journal's keys in the browser (DESIGN §16): the journal key is an AES-256-GCM key made
// here; the server keeps only copies wrapped by a passphrase (Argon2id), a passkey (WebAuthn PRF) or
// the recovery key. Entries are sealed with the journal key and their own additional data.
// Loaded on every page (it also forgets a per-sign-in key at sign-out); exposes window.smritiSealing.
(() => {
  const subtle = crypto.subtle;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const WRAP_INFO = encoder.encode('smriti:v1:wrap');
  const PRF_LABEL = 'smriti journal key v1';
  const ARGON2_PARAMS = Object.freeze({ m: 65536, t: 3, p: 1 });
  const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const DB_NAME = 'smriti-sealing';
  const STORE = 'keys';

  /** A secret that did not open a wrapper: a wrong passphrase, recovery key or passkey. */
  class WrongSecret extends Error {}

  function meta(name) {
    return document.querySelector(`meta[name="${name}"]`)?.content || '';
  }
  const userId = () => meta('smriti-user') || meta('smriti-user-id');
  const journalSealed = () => meta('smriti-journal') === 'sealed';
  /** open | sealed | unsealing (while unsealing, entries not yet re-written are still sealed). */
  const journalState = () => document.querySelector('meta[name="smriti-journal"]')?.dataset.state || meta('smriti-journal') || 'open';
  const sharedComputer = () => meta('smriti-shared-computer') === '1';

  // --- encodings ---
  function toBase64(bytes) {
    let text = '';
    for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
    return btoa(text);
  }
  function fromBase64(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  const toBase64url = (bytes) => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const fromBase64url = (text) => fromBase64(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));

  function toCrockford(bytes) {
    let bits = 0;
    let value = 0;
    let out = '';
    for (const byte of bytes) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += CROCKFORD[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
      value &= (1 << bits) - 1;
    }
    if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
    return out;
  }
  function fromCrockford(text) {
    const bytes = [];
    let bits = 0;
    let value = 0;
    for (const char of text) {
      const digit = CROCKFORD.indexOf(char);
      if (digit < 0) return null;
      value = (value << 5) | digit;
      bits += 5;
      if (bits >= 8) {
        bytes.push((value >>> (bits - 8)) & 255);
        bits -= 8;
      }
      value &= (1 << bits) - 1;
    }
    return new Uint8Array(bytes);
  }

  // --- the recovery key: 16 random bytes and a 4-byte check, as 8 groups of 4 characters ---
  async function recoveryCheck(secret) {
    return new Uint8Array(await subtle.digest('SHA-256', secret)).slice(0, 4);
  }
  async function newRecoveryKey() {
    const secret = crypto.getRandomValues(new Uint8Array(16));
    const all = new Uint8Array(20);
    all.set(secret);
    all.set(await recoveryCheck(secret), 16);
    const text = toCrockford(all).match(/.{4}/g).join('-');
    return { secret, text };
  }
  /** The 16 secret bytes of a typed recovery key, or null when it is not one (a typo, a missing group). */
  async function parseRecoveryKey(typed) {
    const text = String(typed).toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
    if (text.length !== 32) return null;
    const all = fromCrockford(text);
    if (all?.length !== 20) return null;
    const secret = all.slice(0, 16);
    const check = await recoveryCheck(secret);
    return check.every((byte, i) => byte === all[16 + i]) ? secret : null;
  }

  // --- wrapping keys ---
  async function hkdfWrappingKey(secret, salt) {
    const base = await subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
    return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: WRAP_INFO }, base, { name: 'AES-GCM', length: 256 }, false, [
      'wrapKey',
      'unwrapKey',
    ]);
  }

  let worker;
  let nextJob = 0;
  const jobs = new Map();
  function argon2(password, salt, params) {
    if (!worker) {
      worker = new Worker('/js/sealing/argon2-worker.js');
      worker.addEventListener('message', ({ data }) => {
        const job = jobs.get(data.id);
        jobs.delete(data.id);
        if (data.error) job?.reject(new Error(data.error));
        else job?.resolve(data.hash);
      });
      worker.addEventListener('error', (event) => {
        for (const job of jobs.values()) job.reject(new Error(event.message || 'The passphrase worker failed.'));
        jobs.clear();
        worker = undefined;
      });
    }
    nextJob += 1;
    const id = nextJob;
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      worker.postMessage({ id, password, salt, params });
    });
  }
  async function passphraseWrappingKey(passphrase, salt, params = ARGON2_PARAMS) {
    const hash = await argon2(passphrase.normalize('NFC'), salt, params);
    return subtle.importKey('raw', hash, 'AES-GCM', false, ['wrapKey', 'unwrapKey']);
  }

  let prfInput;
  /** The one PRF input of the app: SHA-256 of a fixed label, so a sign-in can ask before the user is known. */
  async function prfSalt() {
    prfInput ??= new Uint8Array(await subtle.digest('SHA-256', encoder.encode(PRF_LABEL)));
    return prfInput;
  }

  // --- the journal key ---
  async function wrap(journalKey, wrappingKey) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const wrapped = new Uint8Array(await subtle.wrapKey('raw', journalKey, wrappingKey, { name: 'AES-GCM', iv }));
    const out = new Uint8Array(12 + wrapped.length);
    out.set(iv);
    out.set(wrapped, 12);
    return toBase64(out);
  }
  async function unwrap(wrappedKey, wrappingKey, extractable = false) {
    const all = fromBase64(wrappedKey);
    try {
      return await subtle.unwrapKey(
        'raw',
        all.slice(12),
        wrappingKey,
        { name: 'AES-GCM', iv: all.slice(0, 12) },
        { name: 'AES-GCM' },
        extractable,
        ['encrypt', 'decrypt'],
      );
    } catch {
      throw new WrongSecret('That key does not open this journal.');
    }
  }

  /** A new journal key, extractable only so that its first wrappers can be made; see `settle`. */
  const newJournalKey = () => subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
  /** The same key, no longer extractable: what is kept in memory and on the device. */
  async function settle(extractableKey) {
    const raw = new Uint8Array(await subtle.exportKey('raw', extractableKey));
    const key = await subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    raw.fill(0);
    return key;
  }

  /** The body of POST /api/sealing/keys for each kind. */
  const wrappers = {
    async passphrase(journalKey, passphrase) {
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const wrappedKey = await wrap(journalKey, await passphraseWrappingKey(passphrase, salt));
      return { kind: 'passphrase', wrappedKey, salt: toBase64(salt), params: { ...ARGON2_PARAMS } };
    },
    async recovery(journalKey, secret) {
      const salt = crypto.getRandomValues(new Uint8Array(16));
      return { kind: 'recovery', wrappedKey: await wrap(journalKey, await hkdfWrappingKey(secret, salt)), salt: toBase64(salt) };
    },
    async passkey(journalKey, prfOutput, credentialId) {
      const salt = crypto.getRandomValues(new Uint8Array(32));
      const wrappedKey = await wrap(journalKey, await hkdfWrappingKey(prfOutput, salt));
      return { kind: 'passkey', wrappedKey, salt: toBase64(salt), credentialId };
    },
  };

  /** Opens one of the server's wrappers (GET /api/sealing/wrapped) with the secret its kind needs. */
  async function openWrapper(wrapper, secret, extractable = false) {
    const salt = fromBase64(wrapper.salt);
    if (wrapper.kind === 'passphrase')
      return unwrap(wrapper.wrappedKey, await passphraseWrappingKey(secret, salt, wrapper.params || ARGON2_PARAMS), extractable);
    return unwrap(wrapper.wrappedKey, await hkdfWrappingKey(secret, salt), extractable);
  }

  // --- entries ---
  const additionalData = (entryId) => encoder.encode(`smriti:v1:${userId()}:${entryId}`);

  async function sealEntry(key, entryId, { title = '', body = '', tags = [], starred = false }) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify({ title, body, tags, starred: Boolean(starred) }));
    const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(entryId) }, key, plain));
    const out = new Uint8Array(12 + sealed.length);
    out.set(iv);
    out.set(sealed, 12);
    return toBase64(out);
  }
  async function openEntry(key, entryId, sealed) {
    const all = fromBase64(sealed);
    const plain = await subtle.decrypt(
      { name: 'AES-GCM', iv: all.slice(0, 12), additionalData: additionalData(entryId) },
      key,
      all.slice(12),
    );
    const entry = JSON.parse(decoder.decode(plain));
    return {
      title: String(entry.title ?? ''),
      body: String(entry.body ?? ''),
      tags: Array.isArray(entry.tags) ? entry.tags : [],
      starred: Boolean(entry.starred),
    };
  }
  /** Any bytes sealed with the journal key (the search index, drafts): `label` keeps each use apart. */
  async function sealBytes(key, label, bytes) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = encoder.encode(`smriti:v1:${userId()}:${label}`);
    const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: data }, key, bytes));
    return { iv, sealed };
  }
  async function openBytes(key, label, { iv, sealed }) {
    const data = encoder.encode(`smriti:v1:${userId()}:${label}`);
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: data }, key, sealed));
  }

  // --- keeping the key: IndexedDB, tagged with its user; "remember" keeps it past sign-out ---
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function store(mode, work) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = work(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(request?.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }
  const dbGet = (name) => store('readonly', (s) => s.get(name)).catch(() => undefined);
  const dbPut = (name, value) => store('readwrite', (s) => s.put(value, name));
  const dbDelete = (name) => store('readwrite', (s) => s.delete(name)).catch(() => undefined);

  let held = null; // { userId, key }

  /** The open journal key of the signed-in user, or null (the journal is locked on this device). */
  async function currentKey() {
    const user = userId();
    if (!user) return null;
    if (held?.userId === user) return held.key;
    const kept = await dbGet('journal');
    if (kept && kept.userId !== user) {
      await dbDelete('journal'); // another person's key: never left for the next one
      return null;
    }
    if (!kept?.key) return null;
    if (kept.tab && kept.tab !== tabToken(false)) {
      await dbDelete('journal'); // a shared computer's key, from a browser session that has ended
      return null;
    }
    held = { userId: user, key: kept.key };
    return kept.key;
  }
  /**
   * This window's mark (sessionStorage: it ends with the window, and a tab opened from it copies it).
   * On a shared computer the key is kept only for windows that carry it, so a browser closed without
   * signing out leaves a key that the next visit deletes rather than uses.
   */
  function tabToken(make = true) {
    try {
      let token = sessionStorage.getItem('smriti:sealing-window');
      if (!token && make) {
        token = toBase64url(crypto.getRandomValues(new Uint8Array(16)));
        sessionStorage.setItem('smriti:sealing-window', token);
      }
      return token;
    } catch {
      return null;
    }
  }

  /** Holds the key for this sign-in, or on this device when `remember` (never on a shared computer). */
  async function keepKey(key, { remember = false } = {}) {
    held = { userId: userId(), key };
    const shared = sharedComputer();
    // A browser without IndexedDB (or with it full) still opens the journal, for this page only.
    await dbPut('journal', {
      userId: userId(),
      key,
      remember: remember && !shared,
      ...(shared ? { tab: tabToken() || 'none' } : {}),
      keptAt: Date.now(),
    }).catch(() => {});
  }
  async function forgetKey({ evenRemembered = false } = {}) {
    held = null;
    const kept = await dbGet('journal');
    if (kept && (evenRemembered || !kept.remember)) await dbDelete('journal');
    await dbDelete('search-index');
  }

  // A passkey sign-in's PRF output, kept (as a non-extractable HKDF key) from the sign-in page to the
  // first signed-in page, which opens the journal with it: one touch signs in and unlocks.
  async function keepSignInPrf(prfOutput, credentialId) {
    const secret = await subtle.importKey('raw', prfOutput, 'HKDF', false, ['deriveKey']);
    await dbPut('sign-in-prf', { secret, credentialId, keptAt: Date.now() });
  }
  async function takeSignInPrf() {
    const kept = await dbGet('sign-in-prf');
    if (kept) await dbDelete('sign-in-prf');
    // Only the page right after the sign-in may use it.
    return kept && Date.now() - kept.keptAt < 5 * 60_000 ? kept : null;
  }
  async function openWithHkdfKey(wrapper, base) {
    const key = await subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: fromBase64(wrapper.salt), info: WRAP_INFO },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['unwrapKey'],
    );
    return unwrap(wrapper.wrappedKey, key);
  }

  // --- talking to the server ---
  async function api(path, init = {}) {
    const response = await window.secureFetch(path, {
      ...init,
      headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    });
    const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, body };
  }
  const wrappedKeys = async () => {
    const answer = await api('/api/sealing/wrapped');
    return answer.ok ? answer.body.keys || [] : [];
  };
  const markUsed = (id) => api(`/api/sealing/keys/${encodeURIComponent(id)}/used`, { method: 'POST', body: '{}' }).catch(() => {});

  /** Opens the journal with a pending sign-in PRF output, if the sign-in left one; true when it did. */
  async function openWithSignInPrf() {
    const pending = await takeSignInPrf();
    if (!pending) return false;
    const wrapper = (await wrappedKeys()).find((w) => w.kind === 'passkey' && w.credentialId === pending.credentialId);
    if (!wrapper) return false;
    try {
      await keepKey(await openWithHkdfKey(wrapper, pending.secret));
    } catch {
      return false;
    }
    markUsed(wrapper.id);
    return true;
  }

  /** Asks the authenticator for the PRF output of one of the user's passkeys (any, when ids is empty). */
  async function passkeyPrf(credentialIds = []) {
    const credential = await navigator.credentials.get({
      publicKey: {
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        rpId: location.hostname,
        allowCredentials: credentialIds.map((id) => ({ type: 'public-key', id: fromBase64url(id) })),
        userVerification: 'required',
        timeout: 120_000,
        extensions: { prf: { eval: { first: await prfSalt() } } },
      },
    });
    const first = credential?.getClientExtensionResults?.().prf?.results?.first;
    if (!first) return null;
    return { prfOutput: new Uint8Array(first), credentialId: toBase64url(credential.rawId) };
  }

  // Signing out forgets a key kept only for this sign-in (and the way-in pages forget it too: the
  // session may have ended without the button). Other pages without a user (an error page) do not.
  document.addEventListener(
    'submit',
    (event) => {
      if (event.target instanceof HTMLFormElement && event.target.matches('[data-sign-out], form[action="/logout"]')) forgetKey();
    },
    true,
  );
  // A signed-out page also drops a sign-in's PRF output that no signed-in page took (the sign-in failed).
  // Asked for first, so it is done before a sign-in on this page keeps a new one.
  if (!userId() && /^\/(login|register|password)(\/|$)/.test(location.pathname)) {
    dbDelete('sign-in-prf');
    forgetKey();
  }

  window.smritiSealing = {
    WrongSecret,
    ARGON2_PARAMS,
    userId,
    journalSealed,
    journalState,
    sharedComputer,
    toBase64,
    fromBase64,
    toBase64url,
    fromBase64url,
    newRecoveryKey,
    parseRecoveryKey,
    prfSalt,
    newJournalKey,
    settle,
    wrappers,
    openWrapper,
    sealEntry,
    openEntry,
    sealBytes,
    openBytes,
    currentKey,
    keepKey,
    forgetKey,
    keepSignInPrf,
    openWithSignInPrf,
    passkeyPrf,
    wrappedKeys,
    markUsed,
    api,
    dbGet,
    dbPut,
    dbDelete,
  };
})();
