// Photos in a real browser (issue 33): paste one and drop another into the editor, see both on the
// entry page and the first on the card; axe-core on the Photos view in light and dark, desktop and phone.
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { axeViolations, chromiumAvailable, screenshot, useChromiumAndServer, watchConsole } from './harness.js';

describe.skipIf(!chromiumAvailable)('photos in a real browser', () => {
  const setup = useChromiumAndServer();
  afterEach(async () => {
    for (const context of setup.contexts.splice(0)) await context.close();
  });

  async function newPage(width = 1280, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await setup.chromium.newContext({ baseURL: setup.server.origin, viewport: { width, height: 900 }, colorScheme });
    context.setDefaultTimeout(15_000);
    setup.contexts.push(context);
    return context.newPage();
  }

  async function register(page: Page): Promise<void> {
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('photos'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
  }

  const picture = async (colour: string) =>
    (
      await sharp({ create: { width: 320, height: 240, channels: 3, background: colour } })
        .png()
        .toBuffer()
    ).toString('base64');

  /** Pastes (or drops) a PNG on the entry's text as the browser's own clipboard or drag would hand it over. */
  async function handOver(page: Page, how: 'paste' | 'drop', base64: string, name: string): Promise<void> {
    await page.evaluate(
      ({ how, base64, name }) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: 'image/png' }));
        const body = document.querySelector('textarea[name=body]')!;
        const event =
          how === 'paste'
            ? new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
            : new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
        body.dispatchEvent(event);
      },
      { how, base64, name },
    );
  }

  it('takes a pasted and a dropped photo, shows both on the entry page and the first on the card', async () => {
    const page = await newPage();
    const errors = watchConsole(page);
    await register(page);
    await page.goto('/journal/new');
    await page.fill('#title', 'Harbour');
    await page.fill('#body', 'Boats at dawn.\n');
    await page.locator('#body').press('End');
    await handOver(page, 'paste', await picture('#c0392b'), 'pasted.png');
    await expect.poll(() => page.inputValue('#body')).toMatch(/!\[\]\(\/photos\/[0-9a-f-]{36}\)\n$/);
    await handOver(page, 'drop', await picture('#2e86c1'), 'dropped.png');
    await expect.poll(async () => (await page.inputValue('#body')).match(/\/photos\//g)?.length ?? 0).toBe(2);
    const ids = [...(await page.inputValue('#body')).matchAll(/\/photos\/([0-9a-f-]{36})/g)].map((m) => m[1]);

    await Promise.all([page.waitForURL(/\/journal\/[0-9a-f-]{36}$/), page.click('form[data-editor] button[type=submit]')]);
    const shown = page.locator('.entry-body .photo img');
    await expect.poll(() => shown.count()).toBe(2);
    expect(await shown.evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth))).toEqual([320, 320]);
    expect(await shown.evaluateAll((imgs) => imgs.map((img) => img.getAttribute('src')))).toEqual(ids.map((id) => `/photos/${id}`));

    await page.goto('/journal');
    const thumb = page.locator('.entry-card .entry-thumb');
    expect(await thumb.getAttribute('src')).toBe(`/photos/${ids[0]}?size=thumb`);
    await expect.poll(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);

  it('finds no axe-core violations on the Photos view, light and dark, at 1280 and 390 px', async () => {
    const page = await newPage();
    await register(page);
    await page.evaluate(
      async (base64) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const data = new FormData();
        data.append('photo', new File([bytes], 'a.png', { type: 'image/png' }));
        const photo = await (await window.secureFetch('/api/photos', { method: 'POST', body: data })).json();
        await window.secureFetch('/api/entries', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: 'Garden', body: `![Roses](${photo.url})` }),
        });
      },
      await picture('#27ae60'),
    );
    const found: Record<string, string[]> = {};
    for (const [width, colorScheme] of [
      [1280, 'light'],
      [1280, 'dark'],
      [390, 'light'],
      [390, 'dark'],
    ] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await page.goto('/journal/photos');
      expect(await page.locator('.photo-grid img').count()).toBe(1);
      const violations = await axeViolations(page);
      if (violations.length > 0) found[`${width} ${colorScheme}`] = violations;
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${width} ${colorScheme}`).toBe(0);
      await screenshot(page, `photos-${width}-${colorScheme}`);
    }
    expect(found).toEqual({});
  }, 90_000);
});
