// The sealing pages and files (DESIGN §16): the names the scripts rely on, WebAssembly allowed only
// where Argon2id runs, and the browser libraries served from node_modules.
import { describe, expect, it } from 'vitest';
import { Browser, signedInBrowser, useTestApp } from '../helpers/app.js';
import { sealJournal } from './helpers.js';

const setup = useTestApp({ STEP_UP_SECONDS: '600' });

const scriptSrc = (csp: string | undefined) => /script-src ([^;]*)/.exec(csp ?? '')?.[1];
const imgSrc = (csp: string | undefined) => /img-src ([^;]*)/.exec(csp ?? '')?.[1];

describe('the sealing pages', () => {
  it('lets a sealed journal’s pages show images from blob: URLs (its photos, opened in the browser), and an open journal’s not', async () => {
    const { browser: sealed } = await signedInBrowser(setup.t.app);
    const { browser: open } = await signedInBrowser(setup.t.app);
    await sealJournal(sealed);
    for (const path of ['/journal', '/journal/new', '/journal/photos', '/search?q=x', '/account']) {
      expect(imgSrc((await sealed.get(path)).headers['content-security-policy']), path).toBe("'self' data: blob:");
      expect(imgSrc((await open.get(path)).headers['content-security-policy']), path).toBe("'self' data:");
      expect(scriptSrc((await sealed.get(path)).headers['content-security-policy']), path).toBe("'self'");
    }
  });

  it('renders /account/sealing with the form, recovery key and progress names, and allows WebAssembly there', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await browser.get('/account/sealing');
    expect(res.status).toBe(200);
    for (const name of [
      'id="seal-journal"',
      'name="passphrase"',
      'name="passphrase_confirm"',
      'id="recovery-key"',
      'name="recovery_key_confirm"',
      'id="sealing-progress"',
      'id="sealing-done"',
      'data-state="open"',
    ]) {
      expect(res.text).toContain(name);
    }
    // No passkey yet: no passkey checkbox.
    expect(res.text).not.toContain('name="use_passkey"');
    expect(scriptSrc(res.headers['content-security-policy'])).toBe("'self' 'wasm-unsafe-eval'");
  });

  it('renders /journal/unlock with its form and passkey button, and allows WebAssembly there only', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const res = await browser.get('/journal/unlock?next=/journal/calendar');
    expect(res.status).toBe(200);
    for (const name of [
      'id="unlock-journal"',
      'name="passphrase"',
      'name="recovery_key"',
      'id="unlock-with-passkey"',
      'name="next" value="/journal/calendar"',
    ]) {
      expect(res.text).toContain(name);
    }
    expect(res.text).toContain('<meta name="smriti-journal" content="sealed"');
    expect(scriptSrc(res.headers['content-security-policy'])).toBe("'self' 'wasm-unsafe-eval'");
    // The Argon2id worker runs under its own response's policy.
    expect(scriptSrc((await browser.get('/js/sealing/argon2-worker.js')).headers['content-security-policy'])).toBe(
      "'self' 'wasm-unsafe-eval'",
    );
    for (const path of ['/journal', '/account', '/journal/new', '/login', '/js/editor.js']) {
      expect(scriptSrc((await browser.get(path)).headers['content-security-policy']), path).toBe("'self'");
    }
    // Somewhere else entirely is not where an unlock sends the writer; an open journal has nothing to unlock.
    expect((await browser.get('/journal/unlock?next=https://evil.example/')).text).toContain('name="next" value="/journal"');
    const { browser: open } = await signedInBrowser(setup.t.app);
    const opened = await open.get('/journal/unlock?next=/journal/calendar');
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/journal/calendar');
  });

  it('shows on /account whether the journal is sealed, with the way to its page', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const open = (await browser.get('/account')).text;
    expect(open).toContain('<strong>Not sealed.</strong>');
    expect(open).toContain('href="/account/sealing"');
    await sealJournal(browser);
    expect((await browser.get('/account')).text).toContain(
      '<strong>Sealed.</strong> Your entries are encrypted in your browser; 2 keys can open them.',
    );
  });

  it('asks for a fresh sign-in before /account/sealing, and a signed-out visitor to sign in', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    setup.t.clock.advance(601);
    const stale = await browser.get('/account/sealing');
    expect(stale.status).toBe(303);
    expect(stale.headers.location).toBe('/account/confirm?next=%2Faccount%2Fsealing');
    for (const path of ['/account/sealing', '/journal/unlock']) {
      const res = await new Browser(setup.t.app).get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.location).toMatch(/^\/login/);
    }
    expect((await new Browser(setup.t.app).json('get', '/api/sealing')).status).toBe(401);
  });

  it('serves Argon2id, MiniSearch and markdown-it from node_modules as JavaScript', async () => {
    const browser = new Browser(setup.t.app);
    for (const [path, marker] of [
      ['/vendor/hash-wasm/argon2.umd.min.js', 'argon2id'],
      ['/vendor/minisearch/index.js', 'MiniSearch'],
      ['/vendor/markdown-it/markdown-it.min.js', 'markdownit'],
    ] as const) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
      expect(res.text).toContain(marker);
    }
    expect((await browser.get('/vendor/hash-wasm/../package.json')).status).toBe(404);
    expect((await browser.get('/vendor/minisearch/../es/index.js')).status).toBe(404);
  });
});
