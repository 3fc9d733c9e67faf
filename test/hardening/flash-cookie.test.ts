import { describe, expect, it } from 'vitest';
import { FLASH_COOKIE } from '../../src/http/flash.js';
import { buildTestApp, signedInBrowser, writeEntry } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';

const flashCookieOf = (res: Parameters<typeof parseSetCookies>[0]) => parseSetCookies(res).find((c) => c.name === FLASH_COOKIE);

describe('the flash cookie', { timeout: 90_000 }, () => {
  it('is Secure, HttpOnly and SameSite=Lax whenever the auth cookies are Secure, even on a request seen as plain HTTP', async () => {
    const db = await createTestDb();
    try {
      for (const secure of ['true', 'false']) {
        const t = buildTestApp(db, { COOKIE_SECURE: secure });
        const { browser } = await signedInBrowser(t.app);
        const res = await browser.post('/account/sessions/revoke-others');
        expect(res.status).toBe(303);
        const flash = flashCookieOf(res)!;
        const auth = parseSetCookies(await browser.post('/refresh')).find((c) => c.name === 'smriti_access_token')!;
        expect(flash.attributes.secure ?? false).toBe(secure === 'true');
        expect(auth.attributes.secure ?? false).toBe(secure === 'true');
        expect(flash.attributes.httponly).toBe(true);
        expect(flash.attributes.samesite).toBe('Lax');
        // Shown once on the next page, then cleared with the same flags.
        const page = await browser.get('/account');
        expect(page.text).toContain('There were no other sessions.');
        const cleared = flashCookieOf(page)!;
        expect(cleared.value).toBe('');
        expect(cleared.attributes.secure ?? false).toBe(secure === 'true');
        expect((await browser.get('/account')).text).not.toContain('There were no other sessions.');
      }
    } finally {
      await db.close();
    }
  });

  it('holds no entry text when an entry is deleted, and a forged cookie shows nothing', async () => {
    const db = await createTestDb();
    try {
      const t = buildTestApp(db);
      const { browser } = await signedInBrowser(t.app);
      const id = await writeEntry(browser, 'Secret title of mine', 'private words');
      const res = await browser.post(`/journal/${id}/delete`);
      const cookie = flashCookieOf(res)!;
      const payload = Buffer.from(decodeURIComponent(cookie.value).split('.')[0]!, 'base64url').toString('utf8');
      expect(payload).not.toContain('Secret');
      expect(decodeURIComponent(cookie.value)).not.toContain('Secret');
      expect((await browser.get('/journal')).text).toContain('Moved the entry to the trash.');

      const forged = Buffer.from(JSON.stringify({ info: ['<b>forged</b>'] })).toString('base64url');
      browser.jar.set(FLASH_COOKIE, `${forged}.AAAA`);
      const page = await browser.get('/journal');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('forged');
    } finally {
      await db.close();
    }
  });

  it('shows nothing when copied into another browser: a flash is bound to the browser it was made for', async () => {
    const db = await createTestDb();
    try {
      const t = buildTestApp(db);
      const { browser: mine } = await signedInBrowser(t.app);
      const { browser: other } = await signedInBrowser(t.app);
      const id = await writeEntry(mine, 'Mine', 'words');
      const cookie = flashCookieOf(await mine.post(`/journal/${id}/delete`))!;

      other.jar.set(FLASH_COOKIE, decodeURIComponent(cookie.value));
      const elsewhere = await other.get('/journal');
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.text).not.toContain('Moved the entry to the trash.');
      expect((await mine.get('/journal')).text).toContain('Moved the entry to the trash.');
    } finally {
      await db.close();
    }
  });
});
