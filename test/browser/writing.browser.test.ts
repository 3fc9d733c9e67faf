// Writing in a real browser (issue 23): dark mode, phone and desktop layouts, Done after fast
// typing, abandoned new entries, and axe-core on every page in light and dark, with screenshots.
import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { axeViolations, chromiumAvailable, screenshot, useChromiumAndServer, waitForSaveState, watchConsole } from './harness.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const LONG_WORD = 'Supercalifragilistic'.repeat(60);

describe.skipIf(!chromiumAvailable)('writing in a real browser', () => {
  const setup = useChromiumAndServer();
  afterEach(async () => {
    for (const context of setup.contexts.splice(0)) await context.close();
  });

  async function newPage(options: { viewport?: typeof DESKTOP; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    const context = await setup.chromium.newContext({
      baseURL: setup.server.origin,
      viewport: options.viewport ?? DESKTOP,
      colorScheme: options.colorScheme ?? 'light',
      timezoneId: 'Asia/Kolkata',
    });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    return context.newPage();
  }

  async function register(page: Page): Promise<string> {
    const email = uniqueEmail('writing');
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
    return email;
  }

  async function post(page: Page, entry: Record<string, unknown>): Promise<{ id: string; version: number }> {
    return page.evaluate(async (body) => {
      const response = await window.secureFetch('/api/entries', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return response.json();
    }, entry);
  }

  async function entryCount(): Promise<number> {
    return (await setup.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM entries')).rows[0]!.n;
  }

  const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  it('saves the time zone the browser reports at registration', async () => {
    const page = await newPage();
    const email = await register(page);
    const row = await setup.server.db.query<{ z: string }>('SELECT time_zone AS z FROM users WHERE email = $1', [email.toLowerCase()]);
    // Chromium's ICU still names the zone by its older alias; either is the writer's.
    expect(row.rows[0]!.z).toMatch(/^Asia\/(Kolkata|Calcutta)$/);
  });

  it('changes the page’s colours in dark mode', async () => {
    const colours = async (scheme: 'light' | 'dark') => {
      const page = await newPage({ colorScheme: scheme });
      await page.goto('/login');
      return page.evaluate(() => {
        const body = getComputedStyle(document.body);
        return { background: body.backgroundColor, text: body.color };
      });
    };
    const [light, dark] = [await colours('light'), await colours('dark')];
    expect(dark.background).not.toBe(light.background);
    expect(dark.text).not.toBe(light.text);
    const luminance = (rgb: string) =>
      rgb
        .match(/\d+/g)!
        .slice(0, 3)
        .reduce((sum, n) => sum + Number(n), 0);
    expect(luminance(dark.background)).toBeLessThan(luminance(light.background));
  });

  it('shows every word after Done clicked right after typing (defect 4), and Ctrl+S saves', async () => {
    const page = await newPage();
    const errors = watchConsole(page);
    await register(page);
    await page.goto('/journal/new');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('title');
    await page.keyboard.type('Quick');
    await page.fill('#body', 'First words.');
    await waitForSaveState(page, 'saved');
    await page.locator('#body').pressSequentially(' And the last words, typed fast.');
    await Promise.all([page.waitForURL(/\/journal\/[0-9a-f-]{36}$/), page.click('[data-done]')]);
    expect(await page.textContent('.entry-body')).toContain('First words. And the last words, typed fast.');

    await page.click('text=Edit');
    await page.locator('#body').press('End');
    await page.keyboard.type(' Saved by keyboard.');
    await page.keyboard.press('Control+s');
    await waitForSaveState(page, 'saved');
    expect(await page.textContent('[data-word-count]')).toBe('11 words');
    expect(errors).toEqual([]);
  });

  it('does not save an abandoned new entry behind the writer’s back (defect 5), and offers it back', async () => {
    const page = await newPage();
    await register(page);
    const before = await entryCount();
    await page.goto('/journal/new');
    await page.locator('#body').pressSequentially('Half a thought');
    await page.goto('/journal');
    await page.goto('/journal/new');
    expect(await page.inputValue('#body')).toBe('Half a thought');
    await waitForSaveState(page, 'restored-unsaved');
    await page.waitForTimeout(1500);
    expect(await entryCount()).toBe(before);
    await page.click('[data-discard-draft]');
    expect(await page.inputValue('#body')).toBe('');
    await page.goto('/journal/new');
    expect(await page.inputValue('#body')).toBe('');
    expect(await entryCount()).toBe(before);
  });

  it('finds no axe-core violations and no horizontal overflow on any page, light and dark, desktop and phone; screenshots each', async () => {
    const found: Record<string, string[]> = {};
    const overflows: Record<string, number> = {};
    for (const viewport of [DESKTOP, PHONE]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const writer = await newPage({ viewport, colorScheme });
        const visitor = await newPage({ viewport, colorScheme });
        const consoleErrors = [...watchConsole(writer), ...watchConsole(visitor)];
        await register(writer);
        const old = await post(writer, { title: 'A year ago', body: 'Monsoon.', entryDate: '2020-01-01' });
        await setup.server.db.query(`UPDATE entries SET entry_date = (now() - interval '1 year')::date WHERE id = $1`, [old.id]);
        const entry = await post(writer, {
          title: `Long ${LONG_WORD.slice(0, 150)}`,
          body: `# Heading\n\n**Bold** and a [link](https://example.com) #garden\n\n${LONG_WORD}\n\n- one\n- two`,
          tags: ['travel'],
        });
        const binned = await post(writer, { title: 'Binned', body: 'x' });
        await writer.evaluate((id) => window.secureFetch(`/api/entries/${id}`, { method: 'DELETE' }), binned.id);
        const pages: Array<[string, Page, string]> = [
          ['login', visitor, '/login'],
          ['register', visitor, '/register'],
          ['forgot', visitor, '/password/forgot'],
          ['journal', writer, '/journal'],
          ['month', writer, `/journal?month=${new Date().toISOString().slice(0, 7)}`],
          ['tag', writer, '/journal?tag=garden'],
          ['search', writer, '/journal?q=bold'],
          ['new', writer, '/journal/new'],
          ['entry', writer, `/journal/${entry.id}`],
          ['edit', writer, `/journal/${entry.id}/edit`],
          ['delete', writer, `/journal/${entry.id}/delete`],
          ['trash', writer, '/journal/trash'],
          ['account', writer, '/account'],
        ];
        const label = (name: string) => `${name}-${viewport.width}-${colorScheme}`;
        for (const [name, page, path] of pages) {
          const response = await page.goto(path);
          expect(response?.status(), path).toBe(200);
          const violations = await axeViolations(page);
          if (violations.length > 0) found[label(name)] = violations;
          const over = await overflow(page);
          if (over !== 0) overflows[label(name)] = over;
          expect(statSync(await screenshot(page, label(name))).size).toBeGreaterThan(1000);
        }
        // The conflict view: the entry changed elsewhere while this tab edits it.
        await writer.goto(`/journal/${entry.id}/edit`);
        await writer.evaluate(
          (id) =>
            window.secureFetch(`/api/entries/${id}`, {
              method: 'PUT',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ title: 'Changed elsewhere', body: 'Another device wrote this.\n'.repeat(40) }),
            }),
          entry.id,
        );
        await writer.locator('#body').pressSequentially(' mine');
        await waitForSaveState(writer, 'conflict');
        const violations = await axeViolations(writer);
        if (violations.length > 0) found[label('conflict')] = violations;
        const over = await overflow(writer);
        if (over !== 0) overflows[label('conflict')] = over;
        await screenshot(writer, label('conflict'));
        expect(consoleErrors).toEqual([]);
      }
    }
    expect(found).toEqual({});
    expect(overflows).toEqual({});
  }, 240_000);
});
