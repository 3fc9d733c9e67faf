// secureFetch: fetch with cookies that renews the access token once on a 401 and retries.
// Loaded by the base layout on every page; see DESIGN.md §7.
(() => {
  const REFRESH_URL = '/refresh';
  const LOCK_NAME = 'smriti-refresh';
  const LAST_REFRESH_KEY = 'smriti:last-refresh';
  const EARLY_REFRESH_MS = 60 * 1000;
  // ...but not before this share of the token's lifetime has passed (see earlyRefreshDueInMs).
  const EARLY_REFRESH_NOT_BEFORE_SHARE = 0.75;
  const IN_USE_WITHIN_MS = 10 * 60 * 1000;
  const MAX_TIMER_MS = 2 ** 31 - 1;

  class SessionExpiredError extends Error {
    /** `flash`: the login page's words for why — `session_ended` when it was ended on purpose. */
    constructor(flash = 'session_expired') {
      super(flash === 'session_ended' ? 'You were signed out. Please sign in again.' : 'Your session has expired. Please sign in again.');
      this.name = 'SessionExpiredError';
      this.flash = flash;
    }
  }

  /** The server could not be reached or failed; nothing was lost and nobody was signed out. */
  class ServerUnavailableError extends Error {
    constructor(message, status) {
      super(message);
      this.name = 'ServerUnavailableError';
      this.status = status;
    }
  }

  function metaNumber(name) {
    const meta = document.querySelector(`meta[name="${name}"]`);
    return meta ? Number(meta.content) : NaN;
  }

  // A signed-in page restored from the back-forward cache was never asked of the server, so after
  // signing out it could show the journal again: hide it and load it anew (the server decides).
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted || !document.querySelector('meta[name="smriti-access-expires-at"]')) return;
    document.documentElement.hidden = true;
    location.reload();
  });

  // The server's clock may differ from this machine's; expiry times are in the server's.
  const serverNow = metaNumber('smriti-server-time');
  const clockOffsetMs = Number.isFinite(serverNow) ? serverNow * 1000 - Date.now() : 0;
  let accessExpiresAtMs = metaNumber('smriti-access-expires-at') * 1000;
  const accessLifetimeMs = metaNumber('smriti-access-lifetime') * 1000;
  /** When this tab last took a renewed token (local clock); -Infinity until the first renewal. */
  let renewedAt = -Infinity;
  let lastActivity = Date.now();
  let refreshTimer;
  let inFlight = null;

  function readLastRefresh() {
    try {
      return JSON.parse(localStorage.getItem(LAST_REFRESH_KEY) || 'null');
    } catch {
      return null;
    }
  }

  function recordRefresh(expiresAtSeconds) {
    accessExpiresAtMs = expiresAtSeconds * 1000;
    renewedAt = Date.now();
    try {
      localStorage.setItem(LAST_REFRESH_KEY, JSON.stringify({ at: Date.now(), expiresAt: expiresAtSeconds }));
    } catch {
      // Storage full or disabled: cross-tab sharing is an optimisation only.
    }
    scheduleEarlyRefresh();
  }

  function showBanner(message) {
    const banner = document.querySelector('[data-secure-fetch-status]');
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = !message;
  }

  async function postRefresh() {
    let response;
    try {
      response = await fetch(REFRESH_URL, { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    } catch {
      throw new ServerUnavailableError('Smriti cannot reach the server. Your text is kept on this device.');
    }
    if (response.status === 401) {
      const body = await response.json().catch(() => ({}));
      throw new SessionExpiredError(body.error === 'refresh_revoked' ? 'session_ended' : 'session_expired');
    }
    if (!response.ok)
      throw new ServerUnavailableError(
        `The server could not renew your sign-in (${response.status}). Your text is kept on this device.`,
        response.status,
      );
    const data = await response.json();
    recordRefresh(data.accessTokenExpiresAt);
    showBanner('');
    return data;
  }

  /**
   * One refresh for every request waiting in this tab; across tabs, a Web Lock lets one tab
   * refresh while the others wait and then reuse its result (the cookie jar is shared).
   */
  function refresh(waitingSince = Date.now()) {
    if (!inFlight) {
      const work = async () => {
        const last = readLastRefresh();
        if (last && last.at > waitingSince && last.expiresAt * 1000 > Date.now() + clockOffsetMs) {
          accessExpiresAtMs = last.expiresAt * 1000;
          renewedAt = last.at;
          scheduleEarlyRefresh();
          return { accessTokenExpiresAt: last.expiresAt };
        }
        return postRefresh();
      };
      const run = navigator.locks?.request ? navigator.locks.request(LOCK_NAME, work) : work();
      inFlight = run.finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  function goToLogin(flash) {
    // Editors save their drafts on this event before the page goes away.
    window.dispatchEvent(new CustomEvent('smriti:session-expired'));
    const next = location.pathname + location.search;
    location.assign(`/login?flash=${flash}&next=${encodeURIComponent(next)}`);
  }

  function isRefreshCall(input) {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    return url.origin === location.origin && url.pathname === REFRESH_URL;
  }

  async function send(input, init) {
    try {
      return await fetch(input instanceof Request ? input.clone() : input, { ...init, credentials: 'same-origin' });
    } catch (error) {
      if (error && error.name === 'AbortError') throw error;
      throw new ServerUnavailableError('Smriti cannot reach the server. Your text is kept on this device.');
    }
  }

  /** A 403 step_up_required: keep the drafts, then ask for a fresh sign-in and come back here. */
  async function confirmIfAsked(response) {
    if (response.status !== 403) return;
    const body = await response
      .clone()
      .json()
      .catch(() => ({}));
    if (body.error !== 'step_up_required') return;
    window.dispatchEvent(new CustomEvent('smriti:session-expired'));
    location.assign(`/account/confirm?next=${encodeURIComponent(location.pathname + location.search)}`);
  }

  async function secureFetch(input, init = {}) {
    const sentAt = Date.now();
    const response = await send(input, init);
    await confirmIfAsked(response);
    if (response.status !== 401 || isRefreshCall(input)) return response;
    try {
      await refresh(sentAt);
    } catch (error) {
      if (error instanceof SessionExpiredError) goToLogin(error.flash);
      else showBanner(error.message);
      throw error;
    }
    return send(input, init);
  }

  function pageInUse() {
    return document.visibilityState === 'visible' && Date.now() - lastActivity < IN_USE_WITHIN_MS;
  }

  /**
   * Time left until the early refresh: 60 s before expiry, but never before three quarters of the
   * token's lifetime has passed since it was issued. With a lifetime under four minutes, "60 s
   * before expiry" is already past when a token arrives, and renewing then would loop (each new
   * token as short); this way each token is renewed at most once. The second bound, on this tab's
   * own clock, holds even if the server's clock or the expiry it reports is off.
   */
  function earlyRefreshDueInMs() {
    const now = Date.now();
    // The layout states the lifetime. Without it, 4 minutes makes both bounds "60 s before expiry".
    const lifetimeMs = accessLifetimeMs > 0 ? accessLifetimeMs : 4 * EARLY_REFRESH_MS;
    const issuedAtMs = accessExpiresAtMs - lifetimeMs;
    const dueAtMs = Math.max(accessExpiresAtMs - EARLY_REFRESH_MS, issuedAtMs + lifetimeMs * EARLY_REFRESH_NOT_BEFORE_SHARE);
    return Math.max(dueAtMs - (now + clockOffsetMs), renewedAt + lifetimeMs * EARLY_REFRESH_NOT_BEFORE_SHARE - now);
  }

  function scheduleEarlyRefresh() {
    clearTimeout(refreshTimer);
    if (!Number.isFinite(accessExpiresAtMs)) return;
    const due = earlyRefreshDueInMs();
    refreshTimer = setTimeout(
      () => {
        // An idle page is left alone; its next request renews on the 401 instead.
        if (pageInUse()) refresh().catch(() => {});
      },
      Math.min(Math.max(due, 1000), MAX_TIMER_MS),
    );
  }

  for (const type of ['keydown', 'pointerdown', 'input', 'scroll']) {
    addEventListener(
      type,
      () => {
        lastActivity = Date.now();
      },
      { passive: true, capture: true },
    );
  }
  document.addEventListener('visibilitychange', () => {
    // The timer skipped a hidden page; coming back after the refresh was due, renew now (once).
    if (document.visibilityState === 'visible' && Number.isFinite(accessExpiresAtMs) && earlyRefreshDueInMs() <= 0) {
      lastActivity = Date.now();
      refresh().catch(() => {});
    }
  });
  scheduleEarlyRefresh();

  window.secureFetch = secureFetch;
  window.SessionExpiredError = SessionExpiredError;
  window.ServerUnavailableError = ServerUnavailableError;
})();
