import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { chromiumAvailable, screenshot, useChromiumAndServer, watchConsole } from './harness.js';

describe.skipIf(!chromiumAvailable)('account page in a real browser', () => {
  const setup = useChromiumAndServer();

  async function device(userAgent: string): Promise<Page> {
    const context = await setup.chromium.newContext({ baseURL: setup.server.origin, userAgent });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, email: string, register = false): Promise<void> {
    await page.goto(register ? '/register' : '/login');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    if (register) await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
  }

  it('lists both devices, signs out everywhere else, and the other device is told it was signed out once its access token lapses', async () => {
    const email = uniqueEmail('account');
    const laptop = await device('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36');
    const consoleErrors = watchConsole(laptop);
    await signIn(laptop, email, true);
    const phone = await device(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
    );
    await signIn(phone, email);

    await laptop.goto('/account');
    const rows = laptop.locator('table.sessions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await laptop.textContent('tr.current')).toContain('Chrome on Linux');
    expect(await laptop.textContent('tr.current')).toContain('(this device)');
    expect(await laptop.textContent('table.sessions')).toContain('Safari on iOS');
    expect(await laptop.textContent('table.events')).toContain('login succeeded');
    expect(statSync(await screenshot(laptop, 'account')).size).toBeGreaterThan(1000);

    await Promise.all([laptop.waitForURL('**/account'), laptop.click('button:has-text("Sign out everywhere else")')]);
    expect(await laptop.textContent('.flash')).toContain('Signed out 1 other session.');
    await expect.poll(() => rows.count()).toBe(1);

    setup.server.t.clock.advance(606);
    await phone.goto('/journal');
    expect(new URL(phone.url()).pathname).toBe('/login');
    expect(await phone.textContent('.flash')).toBe(
      'You were signed out on another device or after a password change. Please sign in again.',
    );
    await laptop.goto('/journal');
    expect(new URL(laptop.url()).pathname).toBe('/journal');
    expect(consoleErrors).toEqual([]);
  });

  it('changes the password from the account page, signing out the other device', async () => {
    const email = uniqueEmail('password');
    const desk = await device('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/140.0');
    await signIn(desk, email, true);
    const other = await device('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/18.0 Safari/605.1.15');
    await signIn(other, email);

    await desk.goto('/account');
    await desk.fill('#current_password', TEST_PASSWORD);
    await desk.fill('#new_password', 'a fresh passphrase');
    await desk.fill('#new_password_confirm', 'a fresh passphrase');
    await Promise.all([desk.waitForURL('**/account'), desk.click('button:has-text("Change password")')]);
    expect(await desk.textContent('.flash')).toContain('Your password was changed and 1 other session was signed out.');
    expect(await desk.textContent('table.events')).toContain('password changed');

    setup.server.t.clock.advance(606);
    await other.goto('/account');
    expect(new URL(other.url()).pathname).toBe('/login');
  });
});
