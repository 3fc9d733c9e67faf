import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { axeViolations, chromiumAvailable, screenshot, useChromiumAndServer, watchConsole } from './harness.js';

describe.skipIf(!chromiumAvailable)('two-step sign-in in a real browser', () => {
  const setup = useChromiumAndServer();

  async function newPage(): Promise<Page> {
    const context = await setup.chromium.newContext({ baseURL: setup.server.origin });
    context.setDefaultTimeout(10_000);
    setup.contexts.push(context);
    return context.newPage();
  }

  const codeNow = (secret: string) => generate({ secret, epoch: Math.floor(setup.server.t.clock.now() / 1000) });

  it('turns two-step on from the account page, then signs in with password and code; the new pages pass axe', async () => {
    const page = await newPage();
    const consoleErrors = watchConsole(page);
    const email = uniqueEmail('totp');
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);

    await page.goto('/account');
    await Promise.all([page.waitForURL('**/account/two-factor'), page.click('text=Set up two-step sign-in')]);
    expect(await page.locator('figure.qr svg').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'two-factor-setup');
    const secret = (await page.textContent('#totp-secret'))!.trim();
    await page.fill('#code', await codeNow(secret));
    await page.fill('#current_password', TEST_PASSWORD);
    await page.click('main button[type=submit]');
    await page.waitForSelector('#recovery-codes');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    expect(await axeViolations(page)).toEqual([]);

    await page.click('header button:has-text("Sign out")');
    await page.waitForURL('**/login?flash=logged_out');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/login/two-factor'), page.click('main button[type=submit]')]);
    expect(await axeViolations(page)).toEqual([]);
    setup.server.t.clock.advance(30);
    await page.fill('#code', '000000');
    await page.click('main button[type=submit]');
    expect(await page.textContent('.field-error')).toContain('That code is not right');
    await page.fill('#code', await codeNow(secret));
    await Promise.all([page.waitForURL('**/journal'), page.click('main button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/journal');

    setup.server.t.clock.advance(601);
    await page.goto('/account/export');
    await page.waitForURL('**/account/confirm?next=*');
    expect(await axeViolations(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
