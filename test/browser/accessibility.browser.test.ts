import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { axeViolations, chromiumAvailable, screenshot, useChromiumAndServer, watchConsole } from './harness.js';

/**
 * Every page axe-core checks, one line each. `:entry` stands for an entry of the signed-in writer;
 * pages with `signedIn: false` are opened by a visitor without a session.
 */
const PAGES: Array<{ path: string; signedIn: boolean }> = [
  { path: '/login', signedIn: false },
  { path: '/register', signedIn: false },
  { path: '/journal', signedIn: true },
  { path: '/journal/new', signedIn: true },
  { path: '/journal/:entry', signedIn: true },
  { path: '/journal/:entry/edit', signedIn: true },
  { path: '/account', signedIn: true },
  { path: '/account/activity', signedIn: true },
  { path: '/password/forgot', signedIn: false },
];

describe.skipIf(!chromiumAvailable)('accessibility and layout in a real browser', () => {
  const setup = useChromiumAndServer();

  async function newPage(options: { width?: number; timezoneId?: string; locale?: string } = {}): Promise<Page> {
    const context = await setup.chromium.newContext({
      baseURL: setup.server.origin,
      viewport: { width: options.width ?? 1280, height: 900 },
      timezoneId: options.timezoneId,
      locale: options.locale,
    });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    return context.newPage();
  }

  /** A writer with one entry written at a known moment; returns the entry's id. */
  async function writerWithEntry(page: Page, at: string): Promise<string> {
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('a11y'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
    const id = await page.evaluate(async () => {
      const response = await window.secureFetch('/api/entries', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'Late evening', body: 'Written just before midnight, by the clock in London.' }),
      });
      return (await response.json()).id as string;
    });
    await setup.server.db.query('UPDATE entries SET created_at = $2, updated_at = $2 WHERE id = $1', [id, at]);
    return id;
  }

  it('finds no axe-core violations on any listed page', async () => {
    const writer = await newPage();
    const visitor = await newPage();
    const consoleErrors = [...watchConsole(writer), ...watchConsole(visitor)];
    const entryId = await writerWithEntry(writer, '2025-03-09T23:30:00Z');
    const found: Record<string, string[]> = {};
    for (const { path, signedIn } of PAGES) {
      const page = signedIn ? writer : visitor;
      const url = path.replace(':entry', entryId);
      const response = await page.goto(url);
      expect(response?.status(), url).toBe(200);
      expect(new URL(page.url()).pathname, `${url} was not redirected`).toBe(url);
      const violations = await axeViolations(page);
      if (violations.length > 0) found[path] = violations;
    }
    expect(found).toEqual({});
    expect(consoleErrors).toEqual([]);
  });

  it('shows the journal on a 390 px screen with the header spaced, and times in the reader’s own zone', async () => {
    const page = await newPage({ width: 390, timezoneId: 'Asia/Kolkata', locale: 'en-GB' });
    const id = await writerWithEntry(page, '2025-03-09T23:30:00Z');
    // 23:30 in London is 05:00 the next morning in Kolkata (the list shows each entry's own day).
    await page.goto(`/journal/${id}`);
    await expect.poll(() => page.textContent('.entry time[data-local]')).toBe('Mon, 10 Mar 2025, 05:00');
    expect(await page.getAttribute('.entry time[data-local]', 'datetime')).toBe('2025-03-09T23:30:00.000Z');
    await page.goto('/journal');

    const brand = await page.locator('.brand').boundingBox();
    const firstLink = await page.locator('.site-header nav a').first().boundingBox();
    const gapOrNewRow = firstLink!.x - (brand!.x + brand!.width) >= 8 || firstLink!.y >= brand!.y + brand!.height;
    expect(gapOrNewRow, 'the brand and the first link are apart').toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    expect(statSync(await screenshot(page, 'journal-390px')).size).toBeGreaterThan(1000);
  });
});
