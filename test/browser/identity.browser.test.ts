import type { Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { listen, stopGracefully } from '../../src/lifecycle.js';
import { buildTestApp, TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider.js';
import { freePort } from '../helpers/server-process.js';
import { axeViolations, BROWSER_TEST_ENV, chromiumAvailable, launchChromium, watchConsole } from './harness.js';

describe.skipIf(!chromiumAvailable)('Continue with a provider, in a real browser', () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let db: Db;
  let server: Server;
  let provider: TestProvider;
  let origin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    // The app on "localhost" and the provider on 127.0.0.1: two sites, so the way back is a cross-site navigation.
    origin = `http://localhost:${port}`;
    [chromium, db, provider] = await Promise.all([launchChromium(), createTestDb(), startTestProvider(origin)]);
    const t = buildTestApp(db, { ...BROWSER_TEST_ENV, ...provider.env, APP_ORIGIN: origin });
    server = await listen(t.app, port, '127.0.0.1');
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await chromium?.close();
    if (server) await stopGracefully(server, async () => {}, 2000);
    await Promise.all([db?.close(), provider?.close()]);
  });

  async function newPage(): Promise<Page> {
    const context = await chromium.newContext({ baseURL: origin, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    return context.newPage();
  }

  /** The provider's own login and consent pages, as a person fills them in. */
  async function signInAtProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL(`${provider.issuer}/interaction/**`, { waitUntil: 'commit' });
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
    await page.click('button[type=submit]');
  }

  it('walks "Continue with" through the provider to the journal, and the changed pages pass axe-core', async () => {
    const page = await newPage();
    const consoleErrors = watchConsole(page);
    const email = uniqueEmail('browser');
    provider.accounts.set('browser-person', { email, email_verified: true });

    await page.goto('/login');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('text=Continue with TestID');
    await signInAtProvider(page, 'browser-person');
    await page.waitForURL(`${origin}/journal`);
    expect(await page.textContent('main')).toBeTruthy();

    await page.goto('/account');
    expect(await page.textContent('main')).toContain(`Your email ${email} is verified.`);
    expect(await page.textContent('main')).toContain('Set a password');
    expect(await axeViolations(page)).toEqual([]);
    await page.goto('/account/confirm?next=/account');
    expect(await page.isVisible('text=Confirm with TestID')).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('links an existing account only after its owner signs in, with the pages clean for axe-core', async () => {
    const page = await newPage();
    const email = uniqueEmail('owner');
    await page.goto('/register');
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button:has-text("Create account")')]);
    await page.click('button:has-text("Sign out")');
    await page.waitForURL('**/login**');
    // Only a proved address may link a provider (docs/security.md): this owner opened the link mailed to them.
    await db.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [email.toLowerCase()]);

    provider.accounts.set('same-email-person', { email, email_verified: true });
    await page.click('text=Continue with TestID');
    await signInAtProvider(page, 'same-email-person');
    await page.waitForURL('**/login?next=%2Fauth%2Foidc%2Flink');
    expect(await page.textContent('main')).toContain('never links accounts on a matching email alone');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/auth/oidc/link'), page.click('button:has-text("Sign in")')]);
    expect(await axeViolations(page)).toEqual([]);
    await Promise.all([page.waitForURL('**/account'), page.click('button:has-text("Link TestID")')]);
    expect(await page.textContent('main')).toContain('Your TestID account is linked');

    await page.goto('/email/verify?token=not-a-token');
    expect(await page.textContent('h1')).toBe('This link cannot be used');
    expect(await axeViolations(page)).toEqual([]);
  });
});
