// For the daily writer (issue 34) in a real browser: drafts of new entries (defects 2 and 3), and the
// history, templates and reminders pages under axe-core, light and dark, desktop and phone.
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import {
  axeViolations,
  chromiumAvailable,
  countRequests,
  screenshot,
  useChromiumAndServer,
  waitForSaveState,
  watchConsole,
} from './harness.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.skipIf(!chromiumAvailable)('the daily writer in a real browser', () => {
  const setup = useChromiumAndServer();
  afterEach(async () => {
    for (const context of setup.contexts.splice(0)) await context.close();
  });

  async function newPage(options: { viewport?: typeof DESKTOP; colorScheme?: 'light' | 'dark'; locale?: string } = {}): Promise<Page> {
    const context = await setup.chromium.newContext({
      locale: options.locale,
      baseURL: setup.server.origin,
      viewport: options.viewport ?? DESKTOP,
      colorScheme: options.colorScheme ?? 'light',
      timezoneId: 'Europe/Berlin',
    });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    return context.newPage();
  }

  async function register(page: Page): Promise<string> {
    const email = uniqueEmail('daily');
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
    return email;
  }

  it('offers an abandoned new entry on today’s date, and says nothing over empty fields (defect 2)', async () => {
    const page = await newPage();
    const errors = watchConsole(page);
    await register(page);
    await page.goto('/journal/new');
    const today = await page.inputValue('#entry_date');
    await page.fill('#entry_date', '2020-02-02');
    await page.locator('#body').pressSequentially('Left halfway');
    await page.goto('/journal');
    await page.goto('/journal/new');
    await waitForSaveState(page, 'restored-unsaved');
    expect(await page.inputValue('#body')).toBe('Left halfway');
    expect(await page.inputValue('#entry_date')).toBe(today);
    await page.click('[data-discard-draft]');
    // Only the date changed: no text to offer, so no message and nothing restored.
    await page.fill('#entry_date', '2020-02-02');
    await page.goto('/journal');
    await page.goto('/journal/new');
    expect(await page.inputValue('#entry_date')).toBe(today);
    expect(await page.getAttribute('[data-save-status]', 'data-state')).not.toBe('restored-unsaved');
    expect(await page.textContent('[data-save-status]')).toBe('');
    expect(errors).toEqual([]);
  });

  it('shows a refused tag beside the field, keeps the text without re-sending it, and lets it be discarded (defect 3)', async () => {
    const page = await newPage();
    await register(page);
    await page.goto('/journal/new');
    await page.fill('#tags', 'party 🎈');
    await page.locator('#body').pressSequentially('Balloons');
    await waitForSaveState(page, 'error');
    expect(await page.getAttribute('#tags', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#tags', 'aria-describedby')).toBe('tags-error');
    expect(await page.textContent('#tags-error')).toContain('“🎈” is not.');
    const posts = countRequests(page);
    await page.goto('/journal');
    await page.goto('/journal/new');
    await waitForSaveState(page, 'restored-unsaved');
    expect(await page.inputValue('#body')).toBe('Balloons');
    expect(await page.getAttribute('#tags', 'aria-invalid')).toBe('true');
    await page.waitForTimeout(1500);
    expect(posts('POST', '/api/entries')).toBe(0);
    await page.click('[data-discard-draft]');
    expect(await page.inputValue('#body')).toBe('');
    expect(await page.inputValue('#tags')).toBe('');
    expect(await page.locator('#tags-error').count()).toBe(0);
    await page.goto('/journal/new');
    expect(await page.inputValue('#body')).toBe('');
    // Fixed instead of discarded, the same text saves.
    await page.fill('#tags', 'party 🎈');
    await page.locator('#body').pressSequentially('Again');
    await waitForSaveState(page, 'error');
    await page.fill('#tags', 'party');
    await page.locator('#body').pressSequentially('!');
    await waitForSaveState(page, 'saved');
    expect(await page.getAttribute('#tags', 'aria-invalid')).toBeNull();
  });

  it('brings a refused password change into view with its summary focused (defect 4)', async () => {
    const page = await newPage({ viewport: PHONE });
    await register(page);
    await page.goto('/account');
    await page.fill('#new_password', 'short');
    await page.click('form[action^="/account/password"] button[type=submit]');
    await page.waitForFunction(() => document.activeElement?.id === 'password-error-summary');
    const box = await page.locator('#password-error-summary').boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    expect(await page.textContent('#password-error-summary')).toContain('Enter your current password.');
  });

  it('writes an entry’s date line in one style in an American browser too (defect 8)', async () => {
    const page = await newPage({ locale: 'en-US' });
    await register(page);
    await page.goto('/journal/new');
    await page.locator('#body').pressSequentially('Dates');
    await waitForSaveState(page, 'saved');
    const id = new URL(page.url()).pathname.split('/')[2];
    await page.goto(`/journal/${id}`);
    const line = page.locator('.entry > p.hint').first();
    await expect.poll(() => line.textContent()).toMatch(/^\w+day, \d{1,2} \w+ \d{4} · written \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2}$/);
  });

  it('finds no axe-core violations and no horizontal overflow on the history, templates and reminders pages', async () => {
    const found: Record<string, string[]> = {};
    const overflows: Record<string, number> = {};
    for (const viewport of [DESKTOP, PHONE]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await newPage({ viewport, colorScheme });
        const consoleErrors = watchConsole(page);
        await register(page);
        await page.goto('/journal/new');
        await page.fill('#title', 'Versions');
        await page.locator('#body').pressSequentially('First words.');
        await waitForSaveState(page, 'saved');
        await page.locator('#body').pressSequentially(' More words, #later.');
        await waitForSaveState(page, 'saved');
        const id = new URL(page.url()).pathname.split('/')[2];
        await page.goto('/journal/templates');
        const template = await page.getAttribute('a[href^="/journal/new?template="]', 'href');
        const templateId = template!.split('=')[1];
        const pages: Array<[string, string]> = [
          ['history', `/journal/${id}/history`],
          ['version', `/journal/${id}/history/1`],
          ['templates', '/journal/templates'],
          ['template-new', '/journal/templates/new'],
          ['template-edit', `/journal/templates/${templateId}/edit`],
          ['template-delete', `/journal/templates/${templateId}/delete`],
          ['from-template', template!],
          ['reminders', '/account/reminders'],
        ];
        const label = (name: string) => `${name}-${viewport.width}-${colorScheme}`;
        for (const [name, path] of pages) {
          const response = await page.goto(path);
          expect(response?.status(), path).toBe(200);
          const violations = await axeViolations(page);
          if (violations.length > 0) found[label(name)] = violations;
          const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (over !== 0) overflows[label(name)] = over;
          await screenshot(page, label(name));
        }
        // The refused reminders form: its summary takes the focus.
        await page.goto('/account/reminders');
        await page.check('#enabled');
        for (const box of await page.locator('input[name=days]').all()) await box.uncheck();
        await page.click('main button[type=submit]');
        await page.waitForFunction(() => document.activeElement?.id === 'error-summary');
        const violations = await axeViolations(page);
        if (violations.length > 0) found[label('reminders-refused')] = violations;
        expect(consoleErrors).toEqual([]);
      }
    }
    expect(found).toEqual({});
    expect(overflows).toEqual({});
  }, 240_000);
});
