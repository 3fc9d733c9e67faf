// Passkeys in real Chromium with the DevTools virtual authenticator. WebAuthn refuses an IP address
// as the RP id, so this server is reached as http://localhost:<port> (a secure context too).
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import {
  axeViolations,
  BROWSER_TEST_ENV,
  chromiumAvailable,
  closeWithin,
  freePort,
  launchChromium,
  TestServer,
  watchConsole,
} from './harness.js';

const STALE = 601;

describe.skipIf(!chromiumAvailable)('passkeys in a real browser', () => {
  let chromium: Browser;
  let server: TestServer;
  let origin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    chromium = await launchChromium();
    server = await TestServer.start({ ...BROWSER_TEST_ENV, APP_ORIGIN: origin, STEP_UP_SECONDS: '600' }, port);
  });
  afterAll(async () => {
    for (const context of contexts.splice(0)) await closeWithin('a browser context', context.close(), 5);
    await closeWithin('Chromium', chromium?.close());
    await closeWithin('the test server', server?.close());
  });

  /** A page whose device has a platform authenticator: resident keys, user verification that always passes. */
  async function deviceWithAuthenticator(): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
    const context = await chromium.newContext({ baseURL: origin });
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return { page, cdp, authenticatorId };
  }

  async function credentialCount(cdp: CDPSession, authenticatorId: string): Promise<number> {
    return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length;
  }

  /**
   * Clicks and waits for the form post at `path` to be answered and its page loaded: waitForURL alone
   * would return at once when the answer comes back to the same address (/account → /account).
   */
  async function clickAndWaitForPost(page: Page, selector: string, path: string | RegExp): Promise<void> {
    const matches = (url: string) => (typeof path === 'string' ? new URL(url).pathname === path : path.test(new URL(url).pathname));
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest() && matches(r.url()));
    // The next document to load is the answer (after its 303, if any): nothing else navigates meanwhile.
    const loaded = page.waitForEvent('load');
    await page.click(selector);
    await Promise.all([posted, loaded]);
  }

  async function register(page: Page, email: string): Promise<void> {
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button:has-text("Create account")')]);
  }

  async function signOut(page: Page): Promise<void> {
    await Promise.all([page.waitForURL('**/login?flash=logged_out'), page.click('header button:has-text("Sign out")')]);
  }

  /**
   * Signs out and holds back the login page's autofill request (conditional mediation, which the
   * virtual authenticator would answer at once by itself), so only the button's ceremony is answered.
   */
  async function signOutHoldingAutofill(page: Page): Promise<void> {
    let held = false;
    await page.route('**/api/passkeys/sign-in/options', async (route) => {
      if (held) return route.continue();
      held = true; // never answered: the autofill keeps waiting for its options
    });
    const autofillAsked = page.waitForRequest('**/api/passkeys/sign-in/options');
    await signOut(page);
    await autofillAsked;
  }

  async function expectNoAxeViolations(page: Page): Promise<void> {
    expect(await axeViolations(page), new URL(page.url()).pathname).toEqual([]);
  }

  it('adds a passkey from /account after the fresh sign-in, signs out, and signs in with the passkey button', async () => {
    const { page, cdp, authenticatorId } = await deviceWithAuthenticator();
    const consoleErrors = watchConsole(page);
    await register(page, uniqueEmail('passkey-add'));
    server.t.clock.advance(STALE);

    await page.goto('/account');
    await expectNoAxeViolations(page);
    await page.fill('#passkey_name', 'Test laptop');
    const confirmLoads: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest() && new URL(request.url()).pathname === '/account/confirm') confirmLoads.push(request.url());
    });
    await Promise.all([page.waitForURL('**/account/confirm?next=*'), page.click('#add-passkey')]);
    // One navigation: a second one (the page's own on top of secureFetch's) aborts the first.
    expect(confirmLoads).toEqual([new URL('/account/confirm?next=%2Faccount', page.url()).href]);
    await expectNoAxeViolations(page);
    await page.fill('#current_password', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/account'), page.click('button:has-text("Confirm")')]);
    await clickAndWaitForPost(page, '#add-passkey', '/account/passkeys');
    expect(await page.textContent('.flash')).toContain('added. You can now sign in with it.');
    expect(await page.locator('table.passkeys tbody tr').count()).toBe(1);
    expect(await credentialCount(cdp, authenticatorId)).toBe(1);
    await expectNoAxeViolations(page);

    await signOutHoldingAutofill(page);
    await expectNoAxeViolations(page);
    expect(await page.getAttribute('#email', 'autocomplete')).toBe('username webauthn');
    await Promise.all([page.waitForURL('**/journal'), page.click('#passkey-sign-in')]);
    expect(await page.locator('h1').first().textContent()).toBeTruthy();
    await page.goto('/account');
    expect(await page.textContent('table.events')).toContain('login succeeded');
    expect(await page.textContent('table.passkeys')).not.toContain('Never');
    expect(consoleErrors).toEqual([]);
  });

  it('confirms with a passkey on /account/confirm, and a removed passkey can no longer sign in', async () => {
    const { page } = await deviceWithAuthenticator();
    await register(page, uniqueEmail('passkey-confirm'));
    await page.goto('/account');
    await clickAndWaitForPost(page, '#add-passkey', '/account/passkeys');

    server.t.clock.advance(STALE);
    await page.goto('/account/two-factor');
    expect(new URL(page.url()).pathname).toBe('/account/confirm');
    await Promise.all([page.waitForURL('**/account/two-factor'), page.click('#passkey-confirm')]);

    await page.goto('/account');
    await clickAndWaitForPost(page, 'table.passkeys button:has-text("Remove")', /^\/account\/passkeys\/[0-9a-f-]+\/remove$/);
    expect(await page.textContent('.flash')).toContain('It can no longer sign in.');
    await signOutHoldingAutofill(page);
    await page.click('#passkey-sign-in');
    await expect.poll(() => page.locator('[role=alert]:visible').first().textContent()).toContain('not registered with Smriti');
    expect(new URL(page.url()).pathname).toBe('/login/passkey');
  });

  it("makes a passkey-only account, which signs out and back in through the email field's autofill", async () => {
    const { page } = await deviceWithAuthenticator();
    const consoleErrors = watchConsole(page);
    await page.goto('/register');
    await expectNoAxeViolations(page);
    await page.fill('#email', uniqueEmail('passkey-only'));
    await Promise.all([page.waitForURL('**/journal'), page.click('#passkey-register')]);

    await page.goto('/account');
    expect(await page.textContent('main')).toContain('Set a password');
    await expectNoAxeViolations(page);
    server.t.clock.advance(STALE);
    await page.goto('/account/confirm?next=/account');
    expect(await page.locator('#current_password').count()).toBe(0);
    await expectNoAxeViolations(page);

    // No click: the virtual authenticator answers the autofill (conditional) request by itself.
    const optionsAsked = page.waitForRequest('**/api/passkeys/sign-in/options');
    await signOut(page);
    await optionsAsked;
    await page.waitForURL('**/journal');
    expect(consoleErrors).toEqual([]);
  });

  it('tells the person plainly when the email for a passkey-only account is missing', async () => {
    const { page } = await deviceWithAuthenticator();
    await page.goto('/register');
    await page.click('#passkey-register');
    await expect.poll(() => page.locator('[data-passkey-error]').textContent()).toContain('Enter your email address.');
  });
});
