// Issue 34 in a real browser: the calendar, an entry with a table, code and a checklist, at 1280 and
// 390 px, light and dark: axe-core clean, nothing wider than the page, no word broken in a cell.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { axeViolations, chromiumAvailable, screenshot, useChromiumAndServer, watchConsole } from './harness.js';

const TABLE_ENTRY = [
  'Packing, by who carries what:',
  '',
  '| Action | Remove | This device | Notes |',
  '|---|---|---|---|',
  '| Passports and tickets | Remove from the drawer | Phone | Check the expiry dates before Friday |',
  '| Chargers | Remove | Laptop | The long cable, not the short one |',
  '',
  '```',
  'rsync --archive --verbose --human-readable ~/Pictures/holiday-2025/ /media/backup/pictures/holiday-2025/',
  '```',
  '',
  '- [ ] water the plants',
  '- [x] book the train',
].join('\n');

describe.skipIf(!chromiumAvailable)('the daily writer’s pages in a real browser', () => {
  const setup = useChromiumAndServer();

  async function writerPage(width: number, colorScheme: 'light' | 'dark'): Promise<Page> {
    const context = await setup.chromium.newContext({ baseURL: setup.server.origin, viewport: { width, height: 900 }, colorScheme });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    const page = await context.newPage();
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('daily'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
    return page;
  }

  /** Writes through the JSON API from the page, as a script would; returns the new entry's id. */
  function write(page: Page, entry: Record<string, unknown>): Promise<string> {
    return page.evaluate(async (body) => {
      const response = await window.secureFetch('/api/entries', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()).id as string;
    }, entry);
  }

  const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  /** Words of table cells that the browser laid out on more than one line ("Actio/n"). */
  const brokenWords = (page: Page) =>
    page.evaluate(() => {
      const broken: string[] = [];
      for (const cell of document.querySelectorAll('.entry-body th, .entry-body td')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const match of (node.textContent ?? '').matchAll(/\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
            if (lines.size > 1) broken.push(match[0]);
          }
        }
      }
      return broken;
    });

  for (const width of [1280, 390]) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`shows the calendar and an entry with a table, code and a checklist at ${width} px, ${scheme}`, { timeout: 120_000 }, async () => {
        const page = await writerPage(width, scheme);
        const errors = watchConsole(page);
        const year = new Date().getUTCFullYear();
        const id = await write(page, { title: 'Trip', body: TABLE_ENTRY, starred: true, entryDate: `${year}-03-05` });
        for (const [day, length] of [
          ['01-02', 10],
          ['03-05', 800],
          ['06-15', 2000],
          ['12-30', 6000],
        ] as const) {
          await write(page, { title: `Day ${day}`, body: 'w'.repeat(length), entryDate: `${year}-${day}` });
        }

        await page.goto(`/journal/calendar?year=${year}`);
        expect(await page.locator('table.month-grid').count()).toBe(12);
        expect(await page.locator('.month-grid a[class^="heat-"]').count()).toBe(4);
        expect(await axeViolations(page)).toEqual([]);
        expect(await overflow(page)).toBe(0);
        await screenshot(page, `calendar-${width}-${scheme}`);

        await page.goto(`/journal/${id}`);
        expect(await axeViolations(page)).toEqual([]);
        expect(await overflow(page)).toBe(0);
        expect(await brokenWords(page)).toEqual([]);
        const code = await page.evaluate(() => {
          const pre = document.querySelector('.entry-body pre')!;
          return {
            background: getComputedStyle(pre).backgroundColor,
            right: pre.getBoundingClientRect().right,
            scrolls: pre.scrollWidth > pre.clientWidth,
          };
        });
        expect(code.background).not.toBe('rgba(0, 0, 0, 0)');
        expect(code.right).toBeLessThanOrEqual(width);
        if (width === 390) expect(code.scrolls).toBe(true);
        await screenshot(page, `entry-table-${width}-${scheme}`);

        // Ticking a box saves through secureFetch, without leaving the page.
        const box = page.getByRole('checkbox', { name: 'water the plants' });
        await box.click();
        await expect.poll(() => box.getAttribute('aria-checked')).toBe('true');
        expect(new URL(page.url()).pathname).toBe(`/journal/${id}`);
        const stored = await page.evaluate(
          async (entryId) => (await (await window.secureFetch(`/api/entries/${entryId}`)).json()).body,
          id,
        );
        expect(stored).toContain('- [x] water the plants');

        for (const path of ['/journal', '/journal?starred=1', `/journal?q=${encodeURIComponent('trip -rain')}&starred=1`]) {
          await page.goto(path);
          expect(await axeViolations(page), path).toEqual([]);
          expect(await overflow(page), path).toBe(0);
        }
        expect(errors).toEqual([]);
      });
    }
  }
});
