import { statSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { axeViolations, chromiumAvailable, screenshot, useChromiumAndServer, waitForSaveState, watchConsole } from './harness.js';

describe.skipIf(!chromiumAvailable)('entry versions in a real browser', () => {
  const setup = useChromiumAndServer();
  afterEach(async () => {
    for (const context of setup.contexts.splice(0)) await context.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await setup.chromium.newContext({ baseURL: setup.server.origin });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    return context;
  }

  async function register(page: Page): Promise<void> {
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('versions'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
  }

  async function createEntry(page: Page, body: string): Promise<string> {
    return page.evaluate(async (text) => {
      const response = await window.secureFetch('/api/entries', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'Shared', body: text }),
      });
      return (await response.json()).id as string;
    }, body);
  }

  async function typeAtEnd(page: Page, text: string): Promise<void> {
    await page.focus('#body');
    await page.keyboard.press('Control+End');
    await page.keyboard.type(text);
  }

  async function stored(id: string): Promise<{ body: string; version: number }> {
    return (await setup.server.db.query<{ body: string; version: number }>('SELECT body, version FROM entries WHERE id = $1', [id]))
      .rows[0]!;
  }

  function localStorageOf(page: Page, prefix: string): Promise<Array<{ title: string; body: string }>> {
    return page.evaluate(
      (start) =>
        Object.entries(localStorage)
          .filter(([key]) => key.startsWith(start))
          .map(([, value]) => JSON.parse(value)),
      prefix,
    );
  }

  it('two tabs: the first save stays, the second keeps its words and shows the conflict, and "keep mine" saves them at version + 1', async () => {
    const context = await newContext();
    const first = await context.newPage();
    const consoleErrors = watchConsole(first);
    await register(first);
    const id = await createEntry(first, 'Morning.');
    const second = await context.newPage();
    consoleErrors.push(...watchConsole(second));
    await first.goto(`/journal/${id}/edit`);
    await second.goto(`/journal/${id}/edit`);

    await typeAtEnd(first, ' First tab.');
    await waitForSaveState(first, 'saved');
    expect(await stored(id)).toEqual({ body: 'Morning. First tab.', version: 2 });

    await second.bringToFront();
    await typeAtEnd(second, ' Second tab.');
    await waitForSaveState(second, 'conflict');
    expect(await stored(id)).toEqual({ body: 'Morning. First tab.', version: 2 });
    expect(await second.inputValue('#body')).toBe('Morning. Second tab.');
    expect(await localStorageOf(second, 'smriti:draft:')).toEqual([expect.objectContaining({ body: 'Morning. Second tab.', version: 1 })]);
    expect(await second.textContent('[data-conflict] h2')).toBe('This entry was changed in another tab or device');
    expect(await second.textContent('[data-theirs-body]')).toBe('Morning. First tab.');
    expect(await second.isVisible('[data-conflict-theirs]')).toBe(true);
    expect(statSync(await screenshot(second, 'conflict')).size).toBeGreaterThan(1000);
    expect(await axeViolations(second)).toEqual([]);

    // No autosave while the writer has not chosen, however much they type.
    await typeAtEnd(second, ' Still mine.');
    expect(await stored(id)).toEqual({ body: 'Morning. First tab.', version: 2 });

    await second.click('[data-keep-mine]');
    await waitForSaveState(second, 'saved');
    expect(await stored(id)).toEqual({ body: 'Morning. Second tab. Still mine.', version: 3 });
    expect(await second.isHidden('[data-conflict]')).toBe(true);
    expect(await localStorageOf(second, 'smriti:draft:')).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('a device offline comes back to a conflict; "take theirs" shows the other text and sets its own aside until dismissed', async () => {
    const laptop = await (await newContext()).newPage();
    await register(laptop);
    const id = await createEntry(laptop, 'Trip notes.');
    const phoneContext = await newContext();
    await phoneContext.addCookies(await laptop.context().cookies());
    const phone = await phoneContext.newPage();
    await laptop.goto(`/journal/${id}/edit`);
    await phone.goto(`/journal/${id}/edit`);

    await laptop.context().setOffline(true);
    await typeAtEnd(laptop, ' Laptop, on the train.');
    await waitForSaveState(laptop, 'offline');
    await typeAtEnd(phone, ' Phone, at the station.');
    await waitForSaveState(phone, 'saved');
    await laptop.context().setOffline(false);
    await waitForSaveState(laptop, 'conflict', 20_000);
    expect(await stored(id)).toEqual({ body: 'Trip notes. Phone, at the station.', version: 2 });
    expect(await laptop.inputValue('#body')).toBe('Trip notes. Laptop, on the train.');

    await laptop.click('[data-take-theirs]');
    expect(await laptop.inputValue('#body')).toBe('Trip notes. Phone, at the station.');
    expect(await laptop.inputValue('[data-set-aside-text]')).toBe('Shared\n\nTrip notes. Laptop, on the train.');
    expect(await localStorageOf(laptop, 'smriti:set-aside:')).toEqual([
      expect.objectContaining({ body: 'Trip notes. Laptop, on the train.' }),
    ]);
    expect(await stored(id)).toEqual({ body: 'Trip notes. Phone, at the station.', version: 2 });

    // The set-aside text outlives a reload, and goes only when dismissed.
    await laptop.reload();
    expect(await laptop.inputValue('[data-set-aside-text]')).toBe('Shared\n\nTrip notes. Laptop, on the train.');
    await laptop.click('[data-set-aside-dismiss]');
    expect(await laptop.isHidden('[data-set-aside]')).toBe(true);
    expect(await localStorageOf(laptop, 'smriti:set-aside:')).toEqual([]);

    // Editing goes on from the version taken.
    await typeAtEnd(laptop, ' Both agree.');
    await waitForSaveState(laptop, 'saved');
    expect(await stored(id)).toEqual({ body: 'Trip notes. Phone, at the station. Both agree.', version: 3 });
  });

  it('finishes a save the server accepted when localStorage throws on every write', async () => {
    const context = await newContext();
    await context.addInitScript(() => {
      Storage.prototype.setItem = () => {
        throw new DOMException('Storage is disabled', 'SecurityError');
      };
    });
    const page = await context.newPage();
    const consoleErrors = watchConsole(page);
    await register(page);
    let releaseCreate = () => {};
    const created = new Promise<void>((resolve) => {
      releaseCreate = resolve;
    });
    let createSeen = () => {};
    const createSent = new Promise<void>((resolve) => {
      createSeen = resolve;
    });
    await page.route('**/api/entries', async (route) => {
      createSeen();
      await created;
      await route.continue();
    });
    // Time stands still from before the page loads: only runFor() fires the editor's timers.
    await page.clock.install({ time: Date.now() });
    await page.clock.pauseAt(Date.now() + 1000);
    await page.goto('/journal/new');

    await page.locator('#body').pressSequentially('Typed with storage off.');
    await page.clock.runFor(1000);
    await createSent;
    // Typed while the first save is in flight; the paused clock keeps the typing timer from firing.
    await page.locator('#body').pressSequentially(' And more.');
    releaseCreate();

    await expect.poll(() => page.getAttribute('[data-save-status]', 'data-state'), { timeout: 15_000 }).toBe('saved');
    const id = new URL(page.url()).pathname.split('/')[2]!;
    expect(await stored(id)).toEqual({ body: 'Typed with storage off. And more.', version: 2 });
    expect(consoleErrors).toEqual([]);
  });
});
