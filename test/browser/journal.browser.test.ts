import { statSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { chromiumAvailable, countRequests, launchChromium, screenshot, TestServer, waitForSaveState, watchConsole } from './harness.js';

const ACCESS_SECONDS = 600;
const LEEWAY_SECONDS = 5;
const EXPIRE_ACCESS = ACCESS_SECONDS + LEEWAY_SECONDS + 1;

describe.skipIf(!chromiumAvailable)('journal in a real browser', () => {
  let chromium: Browser;
  let server: TestServer;
  let context: BrowserContext;

  beforeAll(async () => {
    chromium = await launchChromium();
    server = await TestServer.start({
      ACCESS_TOKEN_EXPIRY_SECONDS: String(ACCESS_SECONDS),
      REFRESH_TOKEN_EXPIRY_SECONDS: '86400',
      JWT_LEEWAY_SECONDS: String(LEEWAY_SECONDS),
    });
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });
  afterEach(async () => {
    await context?.close();
  });

  async function newPage(): Promise<{ page: Page; consoleErrors: string[] }> {
    context = await chromium.newContext({ baseURL: server.origin });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    return { page, consoleErrors: watchConsole(page) };
  }

  async function register(page: Page): Promise<string> {
    const email = uniqueEmail('browser');
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button[type=submit]')]);
    return email;
  }

  async function startEntry(page: Page, title: string, body: string): Promise<string> {
    await page.goto('/journal/new');
    await page.fill('#title', title);
    await page.locator('#body').pressSequentially(body);
    await waitForSaveState(page, 'saved');
    await page.waitForURL(/\/journal\/[0-9a-f-]{36}\/edit$/);
    return new URL(page.url()).pathname.split('/')[2]!;
  }

  async function storedBody(id: string): Promise<string | undefined> {
    const row = await server.db.query<{ body: string }>('SELECT body FROM entries WHERE id = $1', [id]);
    return row.rows[0]?.body;
  }

  it('autosaves through a silent refresh after the access token expires, without leaving the page', async () => {
    const { page, consoleErrors } = await newPage();
    await register(page);
    const id = await startEntry(page, 'A long evening', 'First thoughts.');
    expect(await storedBody(id)).toBe('First thoughts.');

    const count = countRequests(page);
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    server.t.clock.advance(EXPIRE_ACCESS);
    await page.locator('#body').pressSequentially(' Then more, after the token lapsed.');
    await waitForSaveState(page, 'saved');

    expect(count('POST', '/refresh')).toBe(1);
    expect(count('PUT', `/api/entries/${id}`)).toBe(2);
    expect(navigations).toBe(0);
    expect(new URL(page.url()).pathname).toBe(`/journal/${id}/edit`);
    expect(await storedBody(id)).toBe('First thoughts. Then more, after the token lapsed.');
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('smriti:draft:')))).toEqual([]);
    expect(statSync(await screenshot(page, 'editor')).size).toBeGreaterThan(1000);
    expect(consoleErrors).toEqual([]);
  });

  it('shares one POST /refresh between five requests fired at once after expiry', async () => {
    const { page } = await newPage();
    await register(page);
    const count = countRequests(page);
    server.t.clock.advance(EXPIRE_ACCESS);
    const statuses = await page.evaluate(() =>
      Promise.all(Array.from({ length: 5 }, () => window.secureFetch('/api/me').then((r: Response) => r.status))),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(count('POST', '/refresh')).toBe(1);
    expect(count('GET', '/api/me')).toBe(10);
  });

  it('keeps two tabs signed in when both refresh at once', async () => {
    const { page: first } = await newPage();
    await register(first);
    const second = await context.newPage();
    await second.goto('/journal');
    const countFirst = countRequests(first);
    const countSecond = countRequests(second);
    server.t.clock.advance(EXPIRE_ACCESS);

    const both = await Promise.all(
      [first, second].map((tab) => tab.evaluate(() => window.secureFetch('/api/me').then((r: Response) => r.status))),
    );
    expect(both).toEqual([200, 200]);
    // The Web Lock lets one tab refresh and the other reuse its cookie.
    expect(countFirst('POST', '/refresh') + countSecond('POST', '/refresh')).toBe(1);

    server.t.clock.advance(60);
    const again = await Promise.all(
      [first, second].map((tab) => tab.evaluate(() => window.secureFetch('/api/me').then((r: Response) => r.status))),
    );
    expect(again).toEqual([200, 200]);
    const revoked = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM refresh_tokens WHERE revoked_at IS NOT NULL`);
    expect(revoked.rows[0]!.n).toBe(0);
    await second.reload();
    expect(new URL(second.url()).pathname).toBe('/journal');
  });

  it('sends a revoked session to sign-in (flash=session_ended) with the unsaved text kept, and restores it after signing in', async () => {
    const { page } = await newPage();
    const email = await register(page);
    const id = await startEntry(page, 'Before the cut', 'Saved part.');

    await server.db.query(`UPDATE refresh_tokens SET is_valid = false, revoked_at = now(), revoked_reason = 'revoked_by_user'`);
    server.t.clock.advance(EXPIRE_ACCESS);
    await page.locator('#body').pressSequentially(' Words typed after the session ended.');
    await page.waitForURL(/\/login\?flash=session_ended&next=/);
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/journal/${id}/edit`);
    await expect
      .poll(() => page.textContent('.flash'))
      .toBe('You were signed out on another device or after a password change. Please sign in again.');

    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`**/journal/${id}/edit`), page.click('button[type=submit]')]);
    expect(await page.inputValue('#body')).toBe('Saved part. Words typed after the session ended.');
    await waitForSaveState(page, 'saved');
    expect(await storedBody(id)).toBe('Saved part. Words typed after the session ended.');
  });

  it('restores a brand-new entry that never reached the server after signing in again', async () => {
    const { page } = await newPage();
    const email = await register(page);
    await page.goto('/journal/new');
    await server.db.query(`UPDATE refresh_tokens SET is_valid = false, revoked_at = now(), revoked_reason = 'revoked_by_user'`);
    server.t.clock.advance(EXPIRE_ACCESS);
    await page.locator('#body').pressSequentially('Never saved before.');
    await page.waitForURL(/\/login\?flash=session_ended&next=%2Fjournal%2Fnew/);
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal/new'), page.click('button[type=submit]')]);
    expect(await page.inputValue('#body')).toBe('Never saved before.');
    await waitForSaveState(page, 'saved');
    const id = new URL(page.url()).pathname.split('/')[2]!;
    expect(await storedBody(id)).toBe('Never saved before.');
  });

  it('shows an offline state while the server is down, keeps the text, and saves it when the server is back', async () => {
    const { page } = await newPage();
    await register(page);
    const id = await startEntry(page, 'Storm', 'Power flickers.');
    await server.pause();
    try {
      await page.locator('#body').pressSequentially(' Lights out now.');
      await waitForSaveState(page, 'offline');
      expect(await page.textContent('[data-save-status]')).toContain('Offline');
      expect(await page.inputValue('#body')).toBe('Power flickers. Lights out now.');
      const draft = await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('smriti:draft:'))?.[1]);
      expect(JSON.parse(draft!).body).toBe('Power flickers. Lights out now.');
      expect(new URL(page.url()).pathname).toBe(`/journal/${id}/edit`);
    } finally {
      await server.resume();
    }
    await waitForSaveState(page, 'saved', 20_000);
    expect(await storedBody(id)).toBe('Power flickers. Lights out now.');
  });

  it('retries once through /refresh when /api/test-token-expired answers 401, then hands back the 401', async () => {
    const { page } = await newPage();
    await register(page);
    const count = countRequests(page);
    const result = await page.evaluate(async () => {
      const response = await window.secureFetch('/api/test-token-expired');
      return { status: response.status, body: await response.json() };
    });
    expect(result).toEqual({ status: 401, body: { error: 'token_expired', message: expect.any(String) } });
    expect(count('GET', '/api/test-token-expired')).toBe(2);
    expect(count('POST', '/refresh')).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/journal');
  });

  it('refreshes shortly before the access token expires while the page is in use, with no 401 first', async () => {
    const { page } = await newPage();
    await register(page);
    await page.clock.install();
    await page.goto('/journal/new');
    const count = countRequests(page);
    const statuses: number[] = [];
    page.on('response', (response) => statuses.push(response.status()));
    await page.locator('#body').pressSequentially('Still here.');
    const refreshed = page.waitForResponse((response) => new URL(response.url()).pathname === '/refresh');
    // The browser's clock jumps to a minute before expiry; the server's token is still valid.
    await page.clock.fastForward((ACCESS_SECONDS - 55) * 1000);
    expect((await refreshed).status()).toBe(200);
    expect(count('POST', '/refresh')).toBe(1);
    expect(statuses).not.toContain(401);
  });

  it('with a 4-second access lifetime, a visible tab renews once per lifetime, at three quarters of it, never in a loop', async () => {
    const short = await TestServer.start({ ACCESS_TOKEN_EXPIRY_SECONDS: '4', REFRESH_TOKEN_EXPIRY_SECONDS: '86400' });
    const shortContext = await chromium.newContext({ baseURL: short.origin });
    try {
      shortContext.setDefaultTimeout(10_000);
      const page = await shortContext.newPage();
      await page.goto('/register');
      await page.fill('#email', uniqueEmail('short'));
      await page.fill('#password', TEST_PASSWORD);
      await page.fill('#password_confirm', TEST_PASSWORD);
      await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
      // Time stands still from before the page loads, so its timers start exactly at zero.
      await page.clock.install({ time: Date.now() });
      await page.clock.pauseAt(Date.now() + 1000);
      await page.goto('/journal');
      const count = countRequests(page);
      const statuses: number[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === '/refresh') statuses.push(response.status());
      });
      const refreshesAfter: number[] = [];
      // Eight seconds, two lifetimes: the server's clock and the page's move together, a second at a time.
      for (let second = 1; second <= 8; second++) {
        short.t.clock.advance(1);
        await page.clock.runFor(1000);
        // A refresh runs inside this Web Lock; once it is free, any renewal has finished and been scheduled.
        await page.evaluate(() => navigator.locks.request('smriti-refresh', () => {}));
        refreshesAfter.push(count('POST', '/refresh'));
      }
      expect(refreshesAfter).toEqual([0, 0, 1, 1, 1, 2, 2, 2]);
      await expect.poll(() => statuses).toEqual([200, 200]);
    } finally {
      await shortContext.close();
      await short.close();
    }
  });

  it('renders the journal list (screenshot) and works without JavaScript for reading, creating and editing', async () => {
    const { page } = await newPage();
    await register(page);
    for (const [title, body] of [
      ['Sunday walk', 'Down to the river and back.'],
      ['Reading', 'Finished the novel at last.'],
      ['<b>Not bold</b>', 'Escaped, I hope.'],
    ]) {
      await page.evaluate(
        ([t, b]) =>
          window.secureFetch('/api/entries', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ title: t, body: b }),
          }),
        [title, body],
      );
    }
    await page.goto('/journal');
    expect(await page.textContent('.entries')).toContain('<b>Not bold</b>');
    expect(statSync(await screenshot(page, 'journal-list')).size).toBeGreaterThan(1000);

    const cookies = await context.cookies();
    const noScript = await chromium.newContext({ baseURL: server.origin, javaScriptEnabled: false });
    noScript.setDefaultTimeout(10_000);
    try {
      await noScript.addCookies(cookies);
      const plain = await noScript.newPage();
      await plain.goto('/journal/new');
      await plain.fill('#title', 'Typed without scripts');
      await plain.fill('#body', 'Plain form post.');
      await Promise.all([plain.waitForURL(/\/journal\/[0-9a-f-]{36}$/), plain.click('form.editor button[type=submit]')]);
      expect((await plain.textContent('.entry-body'))?.trim()).toBe('Plain form post.');
      await plain.click('a.button:has-text("Edit")', { timeout: 5000 });
      await plain.fill('#body', 'Edited by form.');
      await Promise.all([plain.waitForURL(/\/journal\/[0-9a-f-]{36}$/), plain.click('form.editor button[type=submit]')]);
      expect((await plain.textContent('.entry-body'))?.trim()).toBe('Edited by form.');
      await plain.goto('/journal');
      expect(await plain.textContent('.entries')).toContain('Typed without scripts');
    } finally {
      await noScript.close();
    }
  });
});

declare global {
  interface Window {
    secureFetch: (input: RequestInfo, init?: RequestInit) => Promise<Response>;
  }
}
