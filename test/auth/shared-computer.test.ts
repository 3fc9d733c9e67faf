// "This is a shared computer" reaches the page (DESIGN §14): drafts.js keeps drafts in
// sessionStorage only when the layout says so, on every page and after a refresh in place.

import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { Browser, buildTestApp, signedInBrowser, TEST_JWT_SECRET, TEST_PASSWORD, useTestApp } from '../helpers/app.js';

const ctx = useTestApp();
const SHARED_META = '<meta name="smriti-shared-computer" content="1">';
const ENV = { ACCESS_TOKEN_EXPIRY_SECONDS: '300', REFRESH_TOKEN_EXPIRY_SECONDS: '3600', JWT_LEEWAY_SECONDS: '0' };

async function signIn(app: Parameters<typeof signedInBrowser>[0], sharedComputer: boolean) {
  const { browser, email } = await signedInBrowser(app);
  await browser.post('/logout');
  const again = new Browser(app);
  const res = await again.post('/login', { email, password: TEST_PASSWORD, ...(sharedComputer ? { shared_computer: '1' } : {}) });
  expect(res.status).toBe(303);
  return again;
}

describe('the shared-computer sign-in, as the page sees it', () => {
  it('marks every signed-in page of a shared-computer session, and names the user for drafts.js', async () => {
    const browser = await signIn(ctx.t.app, true);
    const me = (await browser.get('/api/me')).body as { id: string };
    for (const path of ['/journal', '/journal/new', '/account']) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.text, path).toContain(SHARED_META);
      expect(page.text, path).toContain(`<meta name="smriti-user-id" content="${me.id}">`);
      expect(page.text, path).toContain('<script src="/js/drafts.js" defer></script>');
      expect(page.text, path).toContain('action="/logout" class="inline" data-sign-out');
    }
  });

  it('keeps the mark when a page renews a lapsed access token in place', async () => {
    const t = buildTestApp(ctx.db, ENV);
    const browser = await signIn(t.app, true);
    t.clock.advance(301);
    const page = await browser.get('/journal');
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeDefined();
    expect(page.text).toContain(SHARED_META);
  });

  it('does not mark an ordinary sign-in or a new account, whose drafts stay in localStorage', async () => {
    const browser = await signIn(ctx.t.app, false);
    expect((await browser.get('/journal')).text).not.toContain('smriti-shared-computer');
    const { browser: registered } = await signedInBrowser(ctx.t.app);
    expect((await registered.get('/journal')).text).not.toContain('smriti-shared-computer');
  });

  it('says it in the access token, so a page needs no second token check (either answer)', async () => {
    for (const shared of [true, false]) {
      const browser = await signIn(ctx.t.app, shared);
      expect((jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { shared?: unknown }).shared).toBe(shared);
      // The access cookie alone is enough for the page to know.
      browser.jar.delete(REFRESH_COOKIE);
      const page = (await browser.get('/journal')).text;
      expect(page.includes(SHARED_META), String(shared)).toBe(shared);
    }
  });

  it('reads the refresh token for an access token minted before access tokens said it', async () => {
    const browser = await signIn(ctx.t.app, true);
    const { shared: _shared, iss: _iss, aud: _aud, ...claims } = jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as Record<string, unknown>;
    const header = jwt.decode(browser.jar.get(ACCESS_COOKIE)!, { complete: true })!.header;
    const older = jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS256', keyid: header.kid, issuer: 'smriti', audience: 'smriti' });
    browser.jar.set(ACCESS_COOKIE, older);
    expect((await browser.get('/journal')).text).toContain(SHARED_META);
  });

  it('renders no user id or drafts script for a signed-out visitor', async () => {
    const page = await new Browser(ctx.t.app).get('/login');
    expect(page.text).not.toContain('smriti-user-id');
    expect(page.text).not.toContain('/js/drafts.js');
  });
});
