// Sealed journals in real Chromium (DESIGN §16): the keys are made and used in the browser, with a
// DevTools virtual authenticator that reports PRF. WebAuthn refuses an IP address as the RP id, so
// this server is reached as http://localhost:<port>.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainExcerpt, renderMarkdown } from '../../src/journal/markdown.js';
import { TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { testDbUrl } from '../helpers/db.js';
import { cameraJpeg } from '../photos/helpers.js';
import {
  axeViolations,
  BROWSER_TEST_ENV,
  chromiumAvailable,
  closeWithin,
  freePort,
  launchChromium,
  TestServer,
  waitForSaveState,
  watchConsole,
} from './harness.js';

const PASSPHRASE = 'lantern orchard quietly 42';
const ENTRIES = [
  { title: 'Morning by the river', body: 'The **heron** stood still for an hour. #birds', tags: ['walks'] },
  { title: 'Café evening', body: 'We talked about the naïve plan, and about marmalade.\n\n- [ ] buy oranges', tags: [] },
  { title: 'Tokyo notes', body: '今日は東京都で友達に会いました。', tags: ['travel'] },
];

const MARKDOWN_SAMPLES = [
  '# Heading\n\nSetext\n===\n\n###### six',
  '[ok](https://example.com) [mail](mailto:a@b.c) [bad](javascript:alert(1)) [rel](/journal) www.example.org',
  '<script>alert(1)</script> <img src=x onerror=alert(1)> & "quotes"',
  '- [ ] milk\n- [x] **eggs**\n- plain',
  '| a | b |\n|---|---|\n| 1 | 2 |',
  '```js\nconst x = 1;\n```\n\n    indented code',
  '![a photo](/photos/0190a4e2-7c1b-7d2e-8f00-0123456789ab) ![far](https://example.com/x.png) ![](/photos/0190a4e2-7c1b-7d2e-8f00-0123456789ab?size=thumb)',
  'line one\nline two\n\n> quoted _soft_ ~~strike~~',
  `${'A long line of words, '.repeat(12)}and an emoji 👩‍👩‍👧 to cut on a grapheme: 👍🏽`,
];

type Db = Parameters<typeof testDbUrl>[0];

/**
 * Every row of every table: `pg_dump --data-only`, or, where Debian's pg_dump is older than the
 * server (15 beside the embedded PostgreSQL 18, which it refuses to dump), each table's rows as
 * PostgreSQL writes them as text, which is what the dump's COPY lines hold.
 */
async function wholeDatabase(db: Db): Promise<string> {
  try {
    return execFileSync('pg_dump', ['--data-only', testDbUrl(db)], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: 'pipe' });
  } catch (error) {
    if (!/server version mismatch/.test(String((error as { stderr?: unknown }).stderr ?? error))) throw error;
  }
  const tables = await db.query<{ name: string }>(
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const { name } of tables.rows) {
    parts.push(name, ...(await db.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`)).rows.map((r) => r.row));
  }
  return parts.join('\n');
}

describe.skipIf(!chromiumAvailable)('a sealed journal in a real browser', () => {
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

  /** A page whose device has a platform authenticator, with PRF unless `prf` is false. */
  async function deviceWithPrfAuthenticator(prf = true): Promise<Page> {
    const context = await chromium.newContext({ baseURL: origin });
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        ctap2Version: 'ctap2_1',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        hasPrf: prf,
        automaticPresenceSimulation: true,
      },
    });
    return page;
  }

  async function writeEntries(page: Page): Promise<void> {
    const statuses = await page.evaluate(async (entries) => {
      const out: number[] = [];
      for (const entry of entries) {
        const response = await fetch('/api/entries', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(entry),
        });
        out.push(response.status);
      }
      return out;
    }, ENTRIES);
    expect(statuses).toEqual([201, 201, 201]);
  }

  /** Signs out, holding back the login page's autofill request so only the button's ceremony is answered. */
  async function signOut(page: Page): Promise<void> {
    let held = false;
    await page.route('**/api/passkeys/sign-in/options', async (route) => {
      if (held) return route.continue();
      held = true;
    });
    const autofillAsked = page.waitForRequest('**/api/passkeys/sign-in/options');
    await Promise.all([page.waitForURL('**/login?flash=logged_out'), page.click('header button:has-text("Sign out")')]);
    await autofillAsked;
  }

  async function cardTitles(page: Page): Promise<string[]> {
    await page.waitForFunction(() => document.querySelectorAll('li.entry-card[data-sealed]:not([data-opened])').length === 0);
    return page.locator('li.entry-card .entry-title').allTextContents();
  }

  /** A new account whose journal is sealed with a passphrase and the recovery key; its user id and recovery key. */
  async function sealedAccount(
    page: Page,
    entries = 0,
    prepare?: () => Promise<void>,
    beforeSealing?: () => Promise<void>,
  ): Promise<{ userId: string; recoveryKey: string }> {
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('sealed'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button:has-text("Create account")')]);
    const userId = (await page.getAttribute('meta[name="smriti-user"]', 'content'))!;
    if (entries > 0) await writeEntries(page);
    await beforeSealing?.();
    await page.goto('/account/sealing');
    await page.fill('#seal-journal input[name=passphrase]', PASSPHRASE);
    await page.fill('#seal-journal input[name=passphrase_confirm]', PASSPHRASE);
    await page.click('[data-sealing-next]');
    const recoveryKey = (await page.textContent('#recovery-key'))!.trim();
    await page.fill('input[name=recovery_key_confirm]', recoveryKey);
    await prepare?.();
    await page.click('#seal-journal button[type=submit]');
    return { userId, recoveryKey };
  }

  async function sealedRows(userId: string) {
    const result = await server.db.query<{ id: string; title: string; body: string; sealed: string | null; deleted: boolean }>(
      'SELECT id, title, body, sealed, deleted_at IS NOT NULL AS deleted FROM entries WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
    return result.rows;
  }

  it('judges the journal passphrase with zxcvbn in the browser: a guessable one or the email is refused with a sentence', async () => {
    const page = await deviceWithPrfAuthenticator();
    const consoleErrors = watchConsole(page);
    const email = uniqueEmail('strength');
    await page.goto('/register');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button:has-text("Create account")')]);
    const passphrasesSent: string[] = [];
    page.on('request', (request) => passphrasesSent.push(request.postData() ?? ''));
    await page.goto('/account/sealing');
    for (const weak of ['password1234', 'Summer2024!', email]) {
      await page.fill('#seal-journal input[name=passphrase]', weak);
      await page.fill('#seal-journal input[name=passphrase_confirm]', weak);
      await page.click('[data-sealing-next]');
      await expect.poll(() => page.textContent('[data-sealing-error]')).toMatch(/too easy to guess|email address/);
      expect(await page.isVisible('[data-sealing-step="recovery"]')).toBe(false);
    }
    expect(await page.textContent('[data-passphrase-strength]')).toMatch(/\.$/);
    await page.fill('#seal-journal input[name=passphrase]', PASSPHRASE);
    await page.fill('#seal-journal input[name=passphrase_confirm]', PASSPHRASE);
    expect(await page.textContent('[data-passphrase-strength]')).toBe('Strong enough.');
    await page.click('[data-sealing-next]');
    await page.waitForSelector('[data-sealing-step="recovery"]:not([hidden])');
    expect(passphrasesSent.join('\n')).not.toContain('Summer2024!');
    expect(consoleErrors).toEqual([]);
  });

  it('seals a photo in the browser: stripped, upright, resized and encrypted before upload, and shown decrypted', async () => {
    const page = await deviceWithPrfAuthenticator();
    const consoleErrors = watchConsole(page);
    const { userId } = await sealedAccount(page);
    await page.waitForSelector('#sealing-done:not([hidden])');
    const photoRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/photos')) photoRequests.push(r.postDataBuffer()?.toString('latin1') ?? '');
    });

    await page.goto('/journal/new');
    await page.fill('#title', 'By the observatory');
    await page.fill('#body', 'The meridian line.');
    await waitForSaveState(page, 'saved');
    // A camera's JPEG: EXIF with GPS (Greenwich), make and model, XMP, IPTC, and Orientation 6 (600×400 stored, 400×600 upright).
    await page.setInputFiles('input[type=file][name=photo]', { name: 'camera.jpg', mimeType: 'image/jpeg', buffer: await cameraJpeg() });
    await expect.poll(() => page.inputValue('#body')).toMatch(/!\[\]\(\/photos\/[0-9a-f-]{36}\)/);
    await waitForSaveState(page, 'saved');
    const photoId = /\/photos\/([0-9a-f-]{36})/.exec(await page.inputValue('#body'))![1]!;

    // What left the browser and what the database holds: ciphertext, no JPEG, no metadata.
    const sent = photoRequests.join('');
    for (const trace of ['Exif', 'Canon', 'Greenwich', 'GPS', '\xff\xd8\xff']) expect(sent).not.toContain(trace);
    const stored = await server.db.query<{ display: Buffer; thumb: Buffer; sealed: boolean; width: number; height: number; entry: string }>(
      'SELECT display, thumb, sealed, width, height, entry_id AS entry FROM photos WHERE user_id = $1 AND id = $2',
      [userId, photoId],
    );
    const row = stored.rows[0]!;
    expect(row).toMatchObject({ sealed: true, width: 400, height: 600 });
    for (const bytes of [row.display, row.thumb]) {
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
      for (const trace of ['Exif', 'Canon', 'Greenwich', 'GPS']) expect(bytes.includes(trace)).toBe(false);
    }
    const [entry] = await sealedRows(userId);
    expect(row.entry).toBe(entry!.id);

    // The entry's page opens it with the journal key: an upright picture from a blob: URL, and inside
    // the ciphertext a JPEG made anew, without EXIF, GPS or any other metadata block.
    await page.goto(`/journal/${entry!.id}`);
    const img = page.locator('.entry-body img[data-photo-opened=""]');
    await img.waitFor();
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    expect(await img.evaluate((el: HTMLImageElement) => el.decode().then(() => [el.naturalWidth, el.naturalHeight]))).toEqual([400, 600]);
    const inside = await page.evaluate(async (id) => {
      const w = window as unknown as {
        smritiSealing: { ready: Promise<CryptoKey> };
        smritiSealedPhotos: { open(key: CryptoKey, id: string, size: string, bytes: Uint8Array): Promise<Uint8Array> };
      };
      const key = await w.smritiSealing.ready;
      const bytes = new Uint8Array(await (await fetch(`/photos/${id}`)).arrayBuffer());
      const plain = await w.smritiSealedPhotos.open(key, id, 'display', bytes);
      return Array.from(plain.slice(0, 4096));
    }, photoId);
    const head = Buffer.from(inside);
    expect(head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    for (const trace of ['Exif', 'Canon', 'Greenwich', 'GPS', 'Photoshop']) expect(head.includes(trace)).toBe(false);

    // The journal's card shows the thumbnail, opened too.
    await page.goto('/journal');
    const thumb = page.locator('li.entry-card img.entry-thumb[data-photo-opened=""]');
    await thumb.waitFor();
    expect(await thumb.getAttribute('src')).toMatch(/^blob:/);
    // And the Photos view, whose pictures the server can only name.
    await page.goto('/journal/photos');
    const tile = page.locator(`img[data-photo="/photos/${photoId}?size=thumb"][data-photo-opened=""]`);
    await tile.waitFor();
    expect(await tile.evaluate((el: HTMLImageElement) => el.decode().then(() => el.naturalHeight))).toBe(400);
    expect(consoleErrors).toEqual([]);
  });

  it('seals the photos already in a journal when it is sealed, shows them opened, and writes them back when it is unsealed', async () => {
    const page = await deviceWithPrfAuthenticator();
    const consoleErrors = watchConsole(page);
    let photoId = '';
    // The first photo's upload is cut off: sealing stops with a sentence, and goes on when the page is opened again.
    const cutOff = async () => {
      let dropped = false;
      await page.route('**/api/sealing/photos', (route) => {
        if (dropped || route.request().method() !== 'POST') return route.continue();
        dropped = true;
        return route.abort('connectionclosed');
      });
    };
    const { userId } = await sealedAccount(page, 0, cutOff, async () => {
      await page.goto('/journal/new');
      await page.fill('#title', 'Before sealing');
      await page.fill('#body', 'A photo from the open days.');
      await waitForSaveState(page, 'saved');
      await page.setInputFiles('input[type=file][name=photo]', { name: 'camera.jpg', mimeType: 'image/jpeg', buffer: await cameraJpeg() });
      await expect.poll(() => page.inputValue('#body')).toMatch(/\/photos\/[0-9a-f-]{36}/);
      await waitForSaveState(page, 'saved');
      photoId = /\/photos\/([0-9a-f-]{36})/.exec(await page.inputValue('#body'))![1]!;
    });
    await page.waitForSelector('[data-sealing-error]:not([hidden])');
    await page.goto('/account/sealing');
    await page.waitForSelector('#sealing-done:not([hidden])');
    expect(await page.textContent('[data-progress-text]')).toBe('1 of 1 photos sealed.');
    const row = async () =>
      (
        await server.db.query<{ sealed: boolean; display: Buffer; thumb: Buffer }>(
          'SELECT sealed, display, thumb FROM photos WHERE user_id = $1 AND id = $2',
          [userId, photoId],
        )
      ).rows[0]!;
    const sealed = await row();
    expect(sealed.sealed).toBe(true);
    for (const bytes of [sealed.display, sealed.thumb]) expect(bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    const [entry] = await sealedRows(userId);
    await page.goto(`/journal/${entry!.id}`);
    const img = page.locator('.entry-body img[data-photo-opened=""]');
    await img.waitFor();
    expect(await img.evaluate((el: HTMLImageElement) => el.decode().then(() => [el.naturalWidth, el.naturalHeight]))).toEqual([400, 600]);

    await page.goto('/account/sealing');
    await page.check('#unseal_confirm');
    await page.click('#unseal-journal button[type=submit]');
    await page.waitForSelector('#unsealing-done:not([hidden])');
    const back = await row();
    expect(back.sealed).toBe(false);
    expect(back.display.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    await page.goto(`/journal/${entry!.id}`);
    expect(await page.getAttribute('meta[name="smriti-journal"]', 'content')).toBe('open');
    expect(await page.locator('.entry-body img').evaluate((el: HTMLImageElement) => el.decode().then(() => el.naturalHeight))).toBe(600);
    expect(consoleErrors).toEqual([]);
  });

  it('writes, edits, resolves a conflict, trashes, opens with the recovery key, all sealed, then unseals', async () => {
    const page = await deviceWithPrfAuthenticator();
    const consoleErrors = watchConsole(page);
    const { userId, recoveryKey } = await sealedAccount(page);
    await page.waitForSelector('#sealing-done:not([hidden])');

    await page.goto('/journal/new');
    await page.fill('#title', 'A sealed first');
    await page.fill('#body', 'Written with the *editor*, about the lighthouse. #sea');
    await waitForSaveState(page, 'saved');
    const [row] = await sealedRows(userId);
    expect(row).toMatchObject({ title: '', body: '' });
    expect(row!.sealed).toBeTruthy();
    expect(new URL(page.url()).pathname).toBe(`/journal/${row!.id}/edit`);

    // Editing an existing sealed entry: the editor opens it, and saves it sealed again.
    await page.goto(`/journal/${row!.id}/edit`);
    await expect.poll(() => page.inputValue('#title')).toBe('A sealed first');
    expect(await page.inputValue('#body')).toBe('Written with the *editor*, about the lighthouse. #sea');
    await page.fill('#title', 'A sealed first, edited');
    await waitForSaveState(page, 'saved');
    await page.goto(`/journal/${row!.id}`);
    await page.waitForSelector('article.entry[data-opened]');
    expect(await page.textContent('article.entry h1')).toBe('A sealed first, edited');
    expect(await page.textContent('article.entry .entry-body em')).toBe('editor');
    expect(await page.locator('article.entry ul.tags a').allTextContents()).toEqual(['#sea']);

    // The history keeps sealed versions, opened here too.
    await page.goto(`/journal/${row!.id}/history`);
    await page.waitForSelector('section.history[data-opened]');
    expect(await page.textContent('section.history h1')).toBe('History of “A sealed first, edited”');
    await page.click('ol.versions li:last-child a');
    await page.waitForSelector('article.entry[data-opened]');
    expect(await page.textContent('article.entry h1')).toBe('A sealed first');

    // A conflict: another device saved meanwhile; the editor shows its text, opened.
    await page.goto(`/journal/${row!.id}/edit`);
    await expect.poll(() => page.inputValue('#title')).toBe('A sealed first, edited');
    const saveElsewhere = (title: string, body: string) =>
      page.evaluate(
        async ({ id, title, body }) => {
          const sealing = (window as unknown as { smritiSealing: Record<string, (...a: unknown[]) => Promise<unknown>> }).smritiSealing;
          const key = await sealing.currentKey!();
          const current = await (await fetch(`/api/entries/${id}`, { headers: { Accept: 'application/json' } })).json();
          const sealed = await sealing.sealEntry!(key, id, { title, body, tags: ['sea'], starred: false });
          await fetch(`/api/entries/${id}`, {
            method: 'PUT',
            headers: { 'Content-Type': 'application/json', 'If-Match': `"${current.version}"` },
            body: JSON.stringify({ sealed }),
          });
        },
        { id: row!.id, title, body },
      );
    await saveElsewhere('Saved elsewhere', 'Their words.');
    await page.fill('#body', 'My words, typed on a stale version.');
    await waitForSaveState(page, 'conflict');
    expect(await page.textContent('[data-theirs-title]')).toBe('Saved elsewhere');
    expect(await page.textContent('[data-theirs-body]')).toBe('Their words.');
    await page.click('[data-keep-mine]');
    await waitForSaveState(page, 'saved');

    // Text that could not be sent is kept on this device sealed, and restored from there.
    await page.route('**/api/entries/*', (route) => (route.request().method() === 'PUT' ? route.abort() : route.continue()));
    await page.fill('#body', 'Offline words about the zeppelin.');
    await waitForSaveState(page, 'offline');
    await expect.poll(() => page.evaluate(() => JSON.stringify(Object.entries(localStorage)))).toContain('sealedDraft');
    expect(await page.evaluate(() => JSON.stringify(Object.entries(localStorage)))).not.toContain('zeppelin');
    await page.unroute('**/api/entries/*');
    await page.reload();
    await expect.poll(() => page.inputValue('#body')).toBe('Offline words about the zeppelin.');
    await expect.poll(() => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('smriti:draft:')).length)).toBe(0);

    // "Take theirs" sets this tab's text aside on the device: sealed too.
    await saveElsewhere('A sealed first, edited', 'Their second words, about the lighthouse.');
    await page.fill('#body', 'My set-aside words about the zeppelin.');
    await waitForSaveState(page, 'conflict');
    await page.click('[data-take-theirs]');
    expect(await page.inputValue('#body')).toBe('Their second words, about the lighthouse.');
    const setAsideNow = () => page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('smriti:set-aside:')));
    await expect.poll(async () => (await setAsideNow()).length).toBe(1);
    const setAside = await setAsideNow();
    expect(setAside[0]![1]).toContain('sealedDraft');
    expect(setAside[0]![1]).not.toContain('zeppelin');

    // The trash shows the entry's title, opened in the browser.
    await page.goto(`/journal/${row!.id}/delete`);
    await page.waitForSelector('[data-sealed][data-opened]');
    expect(await page.textContent('[data-sealed-title]')).toBe('A sealed first, edited');
    await Promise.all([page.waitForURL('**/journal**'), page.click('button:has-text("Move to the trash")')]);
    await page.goto('/journal/trash');
    expect(await cardTitles(page)).toEqual(['A sealed first, edited']);

    // Locked on this device: a wrong recovery key says so, the right one opens the journal.
    await page.goto('/account/sealing');
    await Promise.all([page.waitForURL('**/journal/unlock**'), page.click('[data-lock-journal]')]);
    await page.fill('#unlock-journal input[name=recovery_key]', 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789');
    await page.click('#unlock-journal button[type=submit]');
    await expect.poll(() => page.locator('[data-unlock-error]:visible').textContent()).toMatch(/recovery key/);
    await page.fill('#unlock-journal input[name=recovery_key]', recoveryKey);
    await Promise.all([page.waitForURL('**/account/sealing'), page.click('#unlock-journal button[type=submit]')]);
    await page.goto('/journal/trash');
    expect(await cardTitles(page)).toEqual(['A sealed first, edited']);
    const leaks = await server.db.query(
      `SELECT 1 FROM entries WHERE user_id = $1 AND (title || body) ~ 'lighthouse|stale|Their|zeppelin'
       UNION ALL SELECT 1 FROM entry_versions WHERE user_id = $1 AND (title || body) ~ 'lighthouse|stale|Their|zeppelin'`,
      [userId],
    );
    expect(leaks.rows).toEqual([]);

    // Unsealing writes the entries back as text and deletes the keys; the journal is open again.
    // Stopped after it began (the batch never arrives), it goes on when the page is opened again.
    await page.goto('/account/sealing');
    await page.check('#unseal_confirm');
    let dropped = false;
    await page.route('**/api/sealing/batch', (route) => {
      if (dropped) return route.continue();
      dropped = true;
      return route.abort('connectionclosed');
    });
    await page.click('#unseal-journal button[type=submit]');
    await page.waitForSelector('[data-sealing-error]:not([hidden])');
    await page.goto('/account/sealing');
    expect(await page.textContent('[data-sealing-status]')).toContain('being unsealed');
    await page.waitForSelector('#unsealing-done:not([hidden])');
    expect((await sealedRows(userId)).map((r) => [r.title, r.sealed])).toEqual([['A sealed first, edited', null]]);
    const keys = await server.db.query('SELECT 1 FROM journal_keys WHERE user_id = $1', [userId]);
    expect(keys.rows).toEqual([]);
    await page.goto('/journal/trash');
    expect(await page.getAttribute('meta[name="smriti-journal"]', 'content')).toBe('open');
    expect(await page.locator('li.entry-card .entry-title').allTextContents()).toEqual(['A sealed first, edited']);
    expect(consoleErrors).toEqual([]);
  });

  it('resumes sealing after the tab was closed half-way, and replaces the passphrase', async () => {
    const page = await deviceWithPrfAuthenticator();
    const refused = new Set<string>();
    const refuseOnce = (path: string) =>
      page.route(`**${path}`, async (route) => {
        if (refused.has(path)) return route.continue();
        refused.add(path);
        await route.abort('connectionclosed');
      });
    // A stale wrapper, as a closed tab's unfinished sealing would leave it: the next sealing drops it.
    const { userId } = await sealedAccount(page, 3, async () => {
      const stale = await page.evaluate(async () => {
        const response = await fetch('/api/sealing/keys', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ kind: 'recovery', wrappedKey: btoa('x'.repeat(60)), salt: btoa('y'.repeat(16)) }),
        });
        return response.status;
      });
      expect(stale).toBe(201);
      await refuseOnce('/api/sealing/seal');
      await refuseOnce('/api/sealing/batch');
    });
    // Sealing stopped before the journal was sealed: pressing again goes on with the same journal key.
    await page.waitForSelector('[data-sealing-error]:not([hidden])');
    await page.click('#seal-journal button[type=submit]');
    await expect.poll(() => refused.has('/api/sealing/batch')).toBe(true);
    const wrappers = await server.db.query<{ kind: string }>('SELECT kind FROM journal_keys WHERE user_id = $1 ORDER BY kind', [userId]);
    expect(wrappers.rows.map((r) => r.kind)).toEqual(['passphrase', 'recovery']);
    // The batch never reached the server: the page says so, and nothing was sealed.
    await page.waitForSelector('[data-sealing-error]:not([hidden])');
    expect(await page.textContent('[data-sealing-error]')).toContain('Reload this page to go on');
    expect((await sealedRows(userId)).filter((r) => r.sealed)).toHaveLength(0);
    await page.goto('/account/sealing');
    await page.waitForSelector('#sealing-done:not([hidden])');
    const rows = await sealedRows(userId);
    expect(rows.map((r) => [r.title, r.body, Boolean(r.sealed)])).toEqual([
      ['', '', true],
      ['', '', true],
      ['', '', true],
    ]);

    // Replacing the passphrase: the old one opens nothing any more, the new one does.
    await page.fill('#current_secret', PASSPHRASE);
    await page.check('#add_passphrase');
    await page.fill('#new_passphrase', 'a brand new passphrase 7');
    await page.fill('#new_passphrase_confirm', 'a brand new passphrase 7');
    await Promise.all([page.waitForEvent('load', { timeout: 20_000 }), page.click('#change-journal-keys button[type=submit]')]);
    expect(
      await page.locator('ul.sealing-keys li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.kind).sort()),
    ).toEqual(['passphrase', 'recovery']);
    // The last key besides the recovery key cannot go.
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('li[data-kind=passphrase] [data-remove-key]');
    await expect.poll(() => page.locator('[data-sealing-error]').textContent()).toMatch(/\w/);
    await Promise.all([page.waitForURL('**/journal/unlock**'), page.click('[data-lock-journal]')]);
    await page.fill('#unlock-journal input[name=passphrase]', PASSPHRASE);
    await page.click('#unlock-journal button[type=submit]');
    await expect.poll(() => page.locator('[data-unlock-error]:visible').textContent(), { timeout: 20_000 }).toContain('does not open');
    await page.fill('#unlock-journal input[name=passphrase]', 'a brand new passphrase 7');
    await Promise.all([page.waitForURL('**/account/sealing', { timeout: 20_000 }), page.click('#unlock-journal button[type=submit]')]);
  });

  async function signInWithPassword(page: Page, email: string, sharedComputer = false): Promise<void> {
    await page.goto('/login');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    if (sharedComputer) await page.check('#shared_computer');
    await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('button:has-text("Sign in")')]);
  }

  it('keeps the key for the sign-in, or remembered on the device, and on a shared computer only for the window', async () => {
    const page = await deviceWithPrfAuthenticator();
    const { userId } = await sealedAccount(page, 3);
    await page.waitForSelector('#sealing-done:not([hidden])');
    const email = (await server.db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [userId])).rows[0]!.email;
    const titles = ENTRIES.map((e) => e.title).sort();

    // Not remembered: signing out forgets it.
    await Promise.all([page.waitForURL('**/login?flash=logged_out'), page.click('header button:has-text("Sign out")')]);
    await signInWithPassword(page, email);
    await page.waitForURL((url) => url.pathname === '/journal/unlock');
    await page.fill('#unlock-journal input[name=passphrase]', PASSPHRASE);
    await page.check('#unlock-remember');
    await Promise.all([page.waitForURL('**/journal', { timeout: 20_000 }), page.click('#unlock-journal button[type=submit]')]);

    // Remembered: the next sign-in finds the journal open.
    await Promise.all([page.waitForURL('**/login?flash=logged_out'), page.click('header button:has-text("Sign out")')]);
    await signInWithPassword(page, email);
    expect(new URL(page.url()).pathname).toBe('/journal');
    expect((await cardTitles(page)).sort()).toEqual(titles);

    // A shared computer: no "remember", and a new window finds the journal locked.
    const shared = await deviceWithPrfAuthenticator();
    await signInWithPassword(shared, email, true);
    await shared.waitForURL((url) => url.pathname === '/journal/unlock');
    expect(await shared.isVisible('#unlock-remember')).toBe(false);
    await shared.fill('#unlock-journal input[name=passphrase]', PASSPHRASE);
    await Promise.all([shared.waitForURL('**/journal', { timeout: 20_000 }), shared.click('#unlock-journal button[type=submit]')]);
    expect((await cardTitles(shared)).sort()).toEqual(titles);
    const otherWindow = await shared.context().newPage();
    await otherWindow.goto('/journal');
    await otherWindow.waitForURL((url) => url.pathname === '/journal/unlock');
  });

  it('a passkey without PRF still registers and signs in, and sealing says plainly that it cannot open a journal', async () => {
    const page = await deviceWithPrfAuthenticator(false);
    const consoleErrors = watchConsole(page);
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('no-prf'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button:has-text("Create account")')]);
    await page.goto('/account');
    await page.fill('#passkey_name', 'Old key');
    const added = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account/passkeys');
    await Promise.all([added, page.waitForEvent('load'), page.click('#add-passkey')]);
    expect(await page.locator('table.passkeys tbody tr').count()).toBe(1);

    await page.goto('/account/sealing');
    await page.fill('#seal-journal input[name=passphrase]', PASSPHRASE);
    await page.fill('#seal-journal input[name=passphrase_confirm]', PASSPHRASE);
    await page.click('[data-sealing-next]');
    await page.fill('input[name=recovery_key_confirm]', (await page.textContent('#recovery-key'))!);
    await page.click('#seal-journal button[type=submit]');
    await expect.poll(() => page.locator('[data-sealing-error]:visible').textContent()).toContain('cannot open a sealed journal');
    expect(await page.getAttribute('meta[name="smriti-journal"]', 'content')).toBe('open');

    await signOut(page);
    await Promise.all([page.waitForURL('**/journal'), page.click('#passkey-sign-in')]);
    expect(consoleErrors).toEqual([]);
  });

  it('exports a sealed journal as the same Smriti file an open one gives, and imports one sealed', async () => {
    const page = await deviceWithPrfAuthenticator();
    const consoleErrors = watchConsole(page);
    const { userId } = await sealedAccount(page, 3);
    await page.waitForSelector('#sealing-done:not([hidden])');

    await page.goto('/account');
    await page.waitForFunction(() => document.documentElement.dataset.journalOpen === 'true');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/account/export"]')]);
    expect(download.suggestedFilename()).toMatch(/^smriti-export-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(exported.format).toBe('smriti-export');
    expect(exported.entries.map((e: { title: string }) => e.title).sort()).toEqual(ENTRIES.map((e) => e.title).sort());
    const heron = exported.entries.find((e: { title: string }) => e.title === 'Morning by the river');
    expect(heron).toMatchObject({ body: ENTRIES[0]!.body, tags: ['walks', 'birds'] });

    // The same file again adds nothing; a file with a new entry adds it, sealed.
    const upload = async (file: unknown) => {
      await page.setInputFiles('#import_file', {
        name: 'smriti-export.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(file)),
      });
      const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account/import');
      const loaded = page.waitForEvent('load');
      await page.click('#import button[type=submit]');
      await Promise.all([posted, loaded]);
      return page.locator('.flash').first().textContent();
    };
    expect(await upload(exported)).toMatch(/^Imported 0 /);
    const added = {
      ...exported,
      entries: [
        {
          title: 'Imported zebra',
          body: 'Stripes, from a file.',
          entryDate: '2024-02-03',
          tags: ['zoo'],
          createdAt: '2024-02-03T10:00:00.000Z',
          updatedAt: '2024-02-03T10:00:00.000Z',
        },
      ],
    };
    expect(await upload(added)).toMatch(/^Imported 1 /);

    // The Markdown export, made in the browser too, and read back by the import (nothing new in it).
    const [markdown] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/account/export?format=markdown"]')]);
    const text = readFileSync((await markdown.path())!, 'utf8');
    expect(text).toMatch(/^# Smriti journal\n/);
    expect(text).toContain('## Imported zebra');
    expect(text).toContain('The **heron** stood still for an hour.');
    await page.setInputFiles('#import_file', { name: 'smriti-export.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account/import');
    await Promise.all([posted, page.waitForEvent('load'), page.click('#import button[type=submit]')]);
    expect(await page.locator('.flash').first().textContent()).toMatch(/^Imported 0 /);

    const rows = await sealedRows(userId);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.title === '' && r.body === '' && r.sealed)).toBe(true);
    await page.goto('/journal');
    expect(await cardTitles(page)).toContain('Imported zebra');
    expect(consoleErrors).toEqual([]);
  });

  it('seals a journal with a passphrase, a passkey and the recovery key, reads and searches it, and opens it again', async () => {
    const page = await deviceWithPrfAuthenticator();
    const consoleErrors = watchConsole(page);
    await page.goto('/register');
    await page.fill('#email', uniqueEmail('sealed'));
    await page.fill('#password', TEST_PASSWORD);
    await page.fill('#password_confirm', TEST_PASSWORD);
    await Promise.all([page.waitForURL('**/journal'), page.click('button:has-text("Create account")')]);
    const userId = await page.getAttribute('meta[name="smriti-user"]', 'content');

    await page.goto('/account');
    await page.fill('#passkey_name', 'PRF laptop');
    const added = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account/passkeys');
    const loaded = page.waitForEvent('load');
    await page.click('#add-passkey');
    await Promise.all([added, loaded]);
    expect(await page.locator('table.passkeys tbody tr').count()).toBe(1);
    await writeEntries(page);

    // Sealing: passphrase (twice), the passkey, then the recovery key typed back.
    await page.goto('/account/sealing');
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#seal-journal input[name=passphrase]', PASSPHRASE);
    await page.fill('#seal-journal input[name=passphrase_confirm]', PASSPHRASE);
    expect(await page.isChecked('#seal-journal input[name=use_passkey]')).toBe(true);
    await page.click('[data-sealing-next]');
    const recoveryKey = (await page.textContent('#recovery-key'))!.trim();
    expect(await axeViolations(page)).toEqual([]);
    expect(recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
    await page.fill('input[name=recovery_key_confirm]', recoveryKey.toLowerCase().replace(/-/g, ' '));
    await page.click('#seal-journal button[type=submit]');
    await page.waitForSelector('#sealing-done:not([hidden])', { timeout: 30_000 });
    expect(await page.getAttribute('progress#sealing-progress', 'value')).toBe('3');
    expect(await page.getAttribute('progress#sealing-progress', 'max')).toBe('3');

    // The database holds no plaintext of these entries, and three wrapped keys.
    const stored = await server.db.query<{ title: string; body: string; sealed: string | null; tags: string[] }>(
      'SELECT title, body, sealed, tags FROM entries WHERE user_id = $1',
      [userId],
    );
    expect(stored.rows).toHaveLength(3);
    for (const row of stored.rows) {
      expect(row).toMatchObject({ title: '', body: '', tags: [] });
      expect(row.sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
    const leaks = await server.db.query(
      `SELECT 1 FROM entries WHERE user_id = $1 AND (title || body) ~ 'heron|marmalade|東京'
       UNION ALL SELECT 1 FROM entry_versions WHERE user_id = $1 AND coalesce(title, '') || coalesce(body, '') ~ 'heron|marmalade|東京'`,
      [userId],
    );
    expect(leaks.rows).toEqual([]);
    // The whole database (pg_dump) and the server's log hold none of the words, titles or tags.
    const dump = await wholeDatabase(server.db);
    expect(dump).toContain('journal_keys');
    for (const text of [dump, server.t.logs.text])
      expect(text).not.toMatch(/heron|marmalade|東京|naïve|Café evening|Tokyo notes|#?walks\b/);
    const kinds = await server.db.query<{ kind: string }>('SELECT kind FROM journal_keys WHERE user_id = $1 ORDER BY kind', [userId]);
    expect(kinds.rows.map((r) => r.kind)).toEqual(['passkey', 'passphrase', 'recovery']);

    // Reading: the list and an entry's page, decrypted and rendered in the browser.
    await page.goto('/journal');
    expect((await cardTitles(page)).sort()).toEqual(ENTRIES.map((e) => e.title).sort());
    await page.click('a.entry-title:has-text("Morning by the river")');
    await page.waitForSelector('article.entry[data-opened] .entry-body strong');
    expect(await page.textContent('article.entry .entry-body strong')).toBe('heron');
    expect(await page.textContent('article.entry h1')).toBe('Morning by the river');
    expect(await page.locator('article.entry ul.tags a').allTextContents()).toEqual(['#walks', '#birds']);
    expect(await axeViolations(page)).toEqual([]);
    // A checklist item ticks on the entry's page: the entry is written again, sealed.
    await page.goto('/journal');
    await cardTitles(page);
    await page.click('a.entry-title:has-text("Café evening")');
    await page.waitForSelector('article.entry[data-opened]');
    await page.click('article.entry button[data-task-line]');
    await expect.poll(() => page.getAttribute('article.entry button[data-task-line]', 'aria-checked')).toBe('true');
    await page.reload();
    await page.waitForSelector('article.entry[data-opened]');
    expect(await page.getAttribute('article.entry button[data-task-line]', 'aria-checked')).toBe('true');

    // The browser renders Markdown as the server does (src/journal/markdown.ts), for every rule it has.
    const rendered = await page.evaluate((samples) => {
      const md = (window as unknown as { smritiMarkdown: { render(b: string): string; excerpt(b: string): string } }).smritiMarkdown;
      return samples.map((sample) => [md.render(sample), md.excerpt(sample)]);
    }, MARKDOWN_SAMPLES);
    expect(rendered).toEqual(MARKDOWN_SAMPLES.map((sample) => [renderMarkdown(sample), plainExcerpt(sample)]));

    // Starring re-writes the entry sealed: the server cannot change what it cannot read.
    await Promise.all([page.waitForEvent('load'), page.click('article.entry .star-form button')]);
    await page.waitForSelector('article.entry[data-opened]');
    expect(await page.getAttribute('article.entry .star-form button', 'aria-pressed')).toBe('true');

    // Search in the browser: a prefix, accents folded, a CJK word inside a sentence.
    for (const [query, title] of [
      ['marmal', 'Café evening'],
      ['cafe naive', 'Café evening'],
      ['東京', 'Tokyo notes'],
    ]) {
      await page.goto(`/journal?q=${encodeURIComponent(query!)}`);
      await page.waitForSelector('[data-sealed-search-results]');
      expect(await page.locator('[data-search-page] li.entry-card .entry-title').allTextContents(), query).toEqual([title]);
    }

    // Typing searches again at once, in memory.
    await page.fill('#search-q', 'hero');
    await expect
      .poll(() => page.locator('[data-search-page] li.entry-card .entry-title').allTextContents())
      .toEqual(['Morning by the river']);
    expect(new URL(page.url()).searchParams.get('q')).toBe('hero');

    // The index is kept between visits, sealed: IndexedDB holds no word of the entries.
    const kept = await page.evaluate(async () => {
      const sealing = (window as unknown as { smritiSealing: { dbGet(name: string): Promise<{ sealed: Uint8Array } | undefined> } })
        .smritiSealing;
      const index = await sealing.dbGet('search-index');
      return index ? new TextDecoder('latin1').decode(index.sealed) : null;
    });
    expect(kept?.length).toBeGreaterThan(100);
    expect(kept).not.toMatch(/marmalade|heron|Tokyo/);

    // Filters the server cannot apply: words left out, a tag.
    await page.goto(`/journal?q=${encodeURIComponent('the -heron')}`);
    await page.waitForSelector('[data-sealed-search-results]');
    expect(await page.locator('[data-search-page] li.entry-card .entry-title').allTextContents()).toEqual(['Café evening']);
    await page.goto('/journal?tag=birds');
    await page.waitForSelector('[data-sealed-search-results]');
    expect(await page.locator('section.journal li.entry-card .entry-title').allTextContents()).toEqual(['Morning by the river']);
    await page.goto('/journal?starred=1');
    await page.waitForSelector('[data-sealed-search-results]');
    expect(await page.locator('section.journal li.entry-card .entry-title').allTextContents()).toEqual(['Café evening']);

    // A passkey sign-in opens the journal in the same touch.
    await signOut(page);
    await Promise.all([page.waitForURL('**/journal'), page.click('#passkey-sign-in')]);
    expect((await cardTitles(page)).sort()).toEqual(ENTRIES.map((e) => e.title).sort());
    expect(new URL(page.url()).pathname).toBe('/journal');

    // A password sign-in does not: the journal asks for a key, and a wrong passphrase says so.
    await signOut(page);
    await page.fill('#email', (await server.db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [userId])).rows[0]!.email);
    await page.fill('#password', TEST_PASSWORD);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/journal/unlock' && url.searchParams.get('next') === '/journal'),
      page.click('button:has-text("Sign in")'),
    ]);
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#unlock-journal input[name=passphrase]', 'not the passphrase at all');
    await page.click('#unlock-journal button[type=submit]');
    await expect
      .poll(() => page.locator('[data-unlock-error]:visible').textContent(), { timeout: 20_000 })
      .toContain('does not open your journal');
    await page.fill('#unlock-journal input[name=passphrase]', PASSPHRASE);
    await Promise.all([page.waitForURL('**/journal', { timeout: 20_000 }), page.click('#unlock-journal button[type=submit]')]);
    expect((await cardTitles(page)).sort()).toEqual(ENTRIES.map((e) => e.title).sort());

    // Locked again, the unlock page's passkey button opens it with one touch.
    await page.goto('/account/sealing');
    await Promise.all([page.waitForURL('**/journal/unlock**'), page.click('[data-lock-journal]')]);
    await Promise.all([page.waitForURL('**/account/sealing'), page.click('#unlock-with-passkey')]);
    expect(await page.locator('ul.sealing-keys li[data-kind=passkey]').textContent()).toContain('last used');

    // Locked, then a fresh sign-in confirmed with the passkey opens it in the same touch.
    await Promise.all([page.waitForURL('**/journal/unlock**'), page.click('[data-lock-journal]')]);
    server.t.clock.advance(601);
    await page.goto('/account/sealing');
    expect(new URL(page.url()).pathname).toBe('/account/confirm');
    await Promise.all([page.waitForURL('**/account/sealing'), page.click('#passkey-confirm')]);
    await page.waitForFunction(() => document.documentElement.dataset.journalOpen === 'true');
    expect(consoleErrors).toEqual([]);
  });
});
