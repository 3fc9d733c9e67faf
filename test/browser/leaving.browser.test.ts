// Leaving a shared computer (DESIGN §14), in real Chromium with its back-forward cache on, as in a
// person's browser: after signing out, Back and Forward never show an entry or the account page,
// and the browser's storage keeps no draft of the user who left.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { BROWSER_TEST_ENV, chromiumAvailable, useChromiumAndServer, waitForSaveState, watchConsole } from './harness.js';

const ACCOUNT_HEADING = 'Where you are signed in';

describe.skipIf(!chromiumAvailable)('leaving nothing behind, in a real browser', () => {
  const setup = useChromiumAndServer(BROWSER_TEST_ENV, { backForwardCache: true });
  // As a server process does: hear of sessions ended elsewhere, so their access tokens fail at once.
  let stopListening: () => Promise<void>;
  beforeAll(async () => {
    stopListening = await setup.server.t.listen();
  });
  afterAll(() => stopListening?.());

  /**
   * A browser whose every page reports when one of `secrets` is visible: while loading, once loaded,
   * and when shown again from the back-forward cache (after the page's own pageshow handlers ran).
   */
  async function watchedBrowser(secrets: string[], options: { timezoneId?: string } = {}) {
    const context = await setup.chromium.newContext({ baseURL: setup.server.origin, locale: 'en-US', ...options });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    const seen: string[] = [];
    const shows: Array<{ path: string; persisted: boolean }> = [];
    let armed = false;
    await context.exposeBinding('testSaw', (_source, what: string) => {
      if (armed) seen.push(what);
    });
    await context.exposeBinding('testPageShown', (_source, path: string, persisted: boolean) => {
      shows.push({ path, persisted });
    });
    await context.addInitScript(reportVisibleSecrets, secrets);
    return {
      context,
      seen,
      shows,
      /** From now on, any secret on screen is a failure. */
      arm() {
        armed = true;
      },
    };
  }

  async function register(page: Page): Promise<string> {
    const email = uniqueEmail('leaving');
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
    return email;
  }

  async function signIn(page: Page, email: string, sharedComputer: boolean): Promise<void> {
    await page.goto('/login');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    if (sharedComputer) await page.check('input[name=shared_computer]');
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
  }

  async function signOut(page: Page): Promise<void> {
    await Promise.all([page.waitForURL('**/login?flash=logged_out'), page.click('header button:has-text("Sign out")')]);
  }

  async function writeEntry(page: Page, title: string, body: string): Promise<string> {
    // From the page itself, as its own scripts send it (same origin, with its cookies).
    const answer = await page.evaluate(
      async (entry) => {
        const res = await fetch('/api/entries', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(entry),
        });
        return { status: res.status, id: ((await res.json()) as { id: string }).id };
      },
      { title, body },
    );
    expect(answer.status).toBe(201);
    return answer.id;
  }

  /** Every key of both stores, with its value. */
  function storage(page: Page) {
    return page.evaluate(() => {
      const all = (s: Storage) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i)!, s.getItem(s.key(i)!)]));
      return { local: all(localStorage), session: all(sessionStorage) };
    });
  }

  /** Back, Forward, Back and Back again: each time the sign-in page, whatever the history held. */
  async function walkHistory(page: Page, seen: string[]): Promise<void> {
    for (const step of ['back', 'forward', 'back', 'back'] as const) {
      // A page shown again from the back-forward cache fires no load event: wait for the navigation alone.
      await (step === 'back' ? page.goBack({ waitUntil: 'commit' }) : page.goForward({ waitUntil: 'commit' }));
      await page.locator('h1').waitFor();
      expect(new URL(page.url()).pathname, step).toBe('/login');
      expect(await page.locator('h1').textContent(), step).toBe('Sign in');
      expect(seen, step).toEqual([]);
    }
  }

  it('after signing out, Back, Forward and Back show neither the entry nor the account page', async () => {
    const secret = 'Violet lanterns over the harbour, 4821';
    const watch = await watchedBrowser([secret, ACCOUNT_HEADING]);
    const page = await watch.context.newPage();
    const consoleErrors = watchConsole(page);
    await register(page);
    const id = await writeEntry(page, 'Harbour', secret);
    await page.goto(`/journal/${id}`);
    expect(await page.textContent('main')).toContain(secret);
    await page.goto('/account');
    expect(await page.textContent('main')).toContain(ACCOUNT_HEADING);
    await page.goto(`/journal/${id}`);

    await signOut(page);
    watch.arm();
    await walkHistory(page, watch.seen);
    // Nothing the user saw while signed in came back from the back-forward cache unhidden.
    await page.goto('/journal');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(watch.seen).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('a signed-in page restored from the back-forward cache after the session ended elsewhere hides itself and asks the server', async () => {
    const secret = 'The key is under the third stone, 7730';
    const watch = await watchedBrowser([secret]);
    const page = await watch.context.newPage();
    const email = await register(page);
    const id = await writeEntry(page, 'Stones', secret);
    await page.goto(`/journal/${id}`);
    await page.click('header a:has-text("Journal")');
    await page.waitForURL('**/journal');

    // Signed out from another device: this browser's cookies do not change, so Chromium keeps the page.
    const other = await setup.chromium.newContext({ baseURL: setup.server.origin });
    setup.contexts.push(other);
    const phone = await other.newPage();
    await signIn(phone, email, false);
    await phone.goto('/account');
    await Promise.all([phone.waitForURL('**/account'), phone.click('button:has-text("Sign out everywhere else")')]);

    watch.arm();
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForURL('**/login?**');
    expect(watch.shows).toContainEqual({ path: `/journal/${id}`, persisted: true });
    expect(new URL(page.url()).searchParams.get('flash')).toBe('session_ended');
    expect(await page.textContent('.flash')).toContain('You were signed out on another device');
    expect(watch.seen).toEqual([]);
  });

  it('signing out in one tab saves what another tab holds, then sends that tab to sign-in with nothing kept or shown', async () => {
    const secret = 'Meet me at the orchard gate';
    const lastWords = ' at 1187';
    const watch = await watchedBrowser([secret]);
    const page = await watch.context.newPage();
    const email = await register(page);
    await signOut(page);
    await signIn(page, email, true);
    const id = await writeEntry(page, 'Orchard', secret);
    await page.goto(`/journal/${id}`);
    await page.goto(`/journal/${id}/edit`);
    await page.locator('#body').press('End');
    await page.locator('#body').pressSequentially(lastWords, { delay: 10 });

    const otherTab = await watch.context.newPage();
    await otherTab.goto('/journal');
    await signOut(otherTab);
    watch.arm();
    // The editor's tab saved its last words when asked, then left for the sign-in page by itself.
    await page.waitForURL('**/login?**');
    const stored = await setup.server.db.query<{ body: string }>('SELECT body FROM entries WHERE id = $1', [id]);
    expect(stored.rows[0]!.body).toBe(secret + lastWords);
    const kept = await storage(page);
    expect(Object.keys(kept.session).filter((key) => key.startsWith('smriti:'))).toEqual([]);
    expect(Object.keys(kept.local).filter((key) => key.startsWith('smriti:'))).toEqual([]);
    await page.goBack({ waitUntil: 'commit' });
    await page.locator('h1').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(watch.seen).toEqual([]);
  });

  it('on a shared computer drafts live in sessionStorage only, and signing out saves the last words then leaves no draft', async () => {
    const start = 'Notes from the night shift';
    const lastWords = ' and the code is 5512';
    const watch = await watchedBrowser([start]);
    const page = await watch.context.newPage();
    const consoleErrors = watchConsole(page);
    const email = await register(page);
    await signOut(page);
    await signIn(page, email, true);

    await page.goto('/journal/new');
    await page.fill('#title', 'Night shift');
    await page.locator('#body').pressSequentially(start);
    let kept = await storage(page);
    expect(Object.keys(kept.session).some((key) => key.startsWith('smriti:draft:'))).toBe(true);
    expect(Object.keys(kept.local).filter((key) => key.startsWith('smriti:draft:'))).toEqual([]);
    await waitForSaveState(page, 'saved');
    const id = new URL(page.url()).pathname.split('/')[2]!;

    // Signing out while the last words are still waiting for the autosave: they are saved first.
    await page.locator('#body').pressSequentially(lastWords, { delay: 10 });
    await signOut(page);
    const stored = await setup.server.db.query<{ body: string }>('SELECT body FROM entries WHERE id = $1', [id]);
    expect(stored.rows[0]!.body).toBe(start + lastWords);

    kept = await storage(page);
    expect(Object.keys(kept.local).filter((key) => key.startsWith('smriti:'))).toEqual([]);
    expect(Object.keys(kept.session).filter((key) => key.startsWith('smriti:'))).toEqual([]);
    watch.arm();
    await walkHistory(page, watch.seen);
    expect(consoleErrors).toEqual([]);
  });

  it('when the editor cannot save, signing out asks first; leaving anyway removes the unsaved draft', async () => {
    const words = 'Text the server never received';
    const watch = await watchedBrowser([words]);
    const page = await watch.context.newPage();
    await register(page);
    await page.goto('/journal/new');
    await page.route('**/api/entries**', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }));
    await page.fill('#title', 'Unsent');
    await page.locator('#body').pressSequentially(words);

    const dialogs: string[] = [];
    page.once('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.click('header button:has-text("Sign out")');
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain('could not be saved');
    expect(new URL(page.url()).pathname).toBe('/journal/new');
    expect(await page.inputValue('#body')).toBe(words);
    expect(Object.values((await storage(page)).local).some((value) => value?.includes(words))).toBe(true);

    page.once('dialog', (dialog) => dialog.accept());
    await signOut(page);
    const kept = await storage(page);
    expect(Object.keys(kept.local).filter((key) => key.startsWith('smriti:'))).toEqual([]);
    watch.arm();
    await page.goBack({ waitUntil: 'commit' });
    await page.locator('h1').waitFor();
    expect(watch.seen).toEqual([]);
  });

  it('the sessions page shows times in the viewer’s own time zone', async () => {
    const watch = await watchedBrowser([], { timezoneId: 'Asia/Kolkata' });
    const page = await watch.context.newPage();
    await register(page);
    await page.goto('/account');
    const signedIn = page.locator('tr.current time').first();
    const at = new Date((await signedIn.getAttribute('datetime'))!);
    // The page writes times as the server does (en-GB, 24-hour: issue 34's one date format), in the viewer's zone.
    const kolkata = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Kolkata',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(at);
    const text = await signedIn.textContent();
    expect(text).toContain(kolkata);
    expect(text).not.toContain('UTC');
  });
});

/** Runs in every page before its own scripts; reports (through the test's bindings) what is on screen. */
function reportVisibleSecrets(secrets: string[]): void {
  const w = window as unknown as { testSaw(what: string): void; testPageShown(path: string, persisted: boolean): void };
  const visibleText = () => {
    if (!document.body || document.documentElement.hidden) return '';
    const fields = [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')].map((f) => f.value);
    // biome-ignore lint/performance/useDomNodeTextContent: innerText is what is rendered; textContent would count hidden text.
    return [document.body.innerText, ...fields].join('\n');
  };
  const report = (how: string) => {
    const text = visibleText();
    for (const secret of secrets) if (text.includes(secret)) w.testSaw(`"${secret}" on ${location.pathname} (${how})`);
  };
  new MutationObserver(() => report('while loading')).observe(document, { childList: true, subtree: true, characterData: true });
  document.addEventListener('DOMContentLoaded', () => {
    report('loaded');
    // Added after the page's deferred scripts ran, so this sees what their own pageshow handlers left.
    addEventListener('pageshow', (event) => {
      w.testPageShown(location.pathname, event.persisted);
      report(event.persisted ? 'restored from the back-forward cache' : 'shown');
    });
  });
}
