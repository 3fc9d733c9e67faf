// A sealed account's server export is a sealed backup (ciphertext and wrapped keys), and a sealed
// journal takes back only that (DESIGN §16).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';
import { ciphertext, sealJournal, sealPending } from './helpers.js';

const setup = useTestApp();

describe('the export of a sealed journal', () => {
  it('is a sealed backup: the wrapped keys and every entry’s ciphertext, trash marked, no plaintext', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(browser, 'Private title', 'Private words');
    const { recovery, passphrase } = await sealJournal(browser);
    await sealPending(browser);
    const id = randomUUID();
    const sealed = ciphertext();
    await browser.json('post', '/api/entries', { id, sealed, entryDate: '2026-01-02' });
    await browser.json('delete', `/api/entries/${id}`);
    for (const format of ['', '?format=markdown', '?format=zip']) {
      const res = await browser.get(`/account/export${format}`);
      expect(res.status, format).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="smriti-sealed-backup-\d{4}-\d{2}-\d{2}\.json"$/);
      expect(res.text).not.toContain('Private');
      const backup = JSON.parse(res.text);
      expect(backup).toMatchObject({ format: 'smriti-sealed-backup', version: 1, userId: expect.any(String) });
      expect(backup.keys.map((k: { id: string }) => k.id).sort()).toEqual([recovery, passphrase].sort());
      expect(backup.keys[0]).toHaveProperty('wrappedKey');
      expect(backup.entries).toHaveLength(2);
      expect(backup.entries.find((e: { id: string }) => e.id === id)).toEqual({
        id,
        entryDate: '2026-01-02',
        version: 1,
        sealed,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        trashedAt: expect.any(String),
      });
    }
  });
});

describe('importing into a sealed journal', () => {
  it('takes back its own sealed backup, skipping what is already there', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) await browser.json('post', '/api/entries', { id, sealed: ciphertext() });
    const backup = (await browser.get('/account/export')).text;
    await browser.json('delete', `/api/entries/${ids[0]}`);
    await browser.json('delete', `/api/entries/${ids[0]}/trash`);
    const res = await browser.upload('/account/import', 'file', backup);
    expect(res.status).toBe(303);
    expect((await browser.get('/account')).text).toContain('Imported 1 sealed entry. 1 was already in your journal and skipped.');
    const back = await browser.json('get', `/api/entries/${ids[0]}`);
    expect(back.body).toMatchObject({ id: ids[0], sealed: JSON.parse(backup).entries.find((e: { id: string }) => e.id === ids[0]).sealed });
  });

  it('refuses a plaintext file, another account’s backup, and a backup into an open journal, with a sentence each', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    await sealJournal(other);
    await other.json('post', '/api/entries', { id: randomUUID(), sealed: ciphertext() });
    const othersBackup = (await other.get('/account/export')).text;
    // Open: a sealed backup does not go in.
    const intoOpen = await browser.upload('/account/import', 'file', othersBackup);
    expect(intoOpen.status).toBe(400);
    expect(intoOpen.text).toContain('another account’s');
    const ownBackup = JSON.stringify({
      ...JSON.parse(othersBackup),
      userId: /<meta name="smriti-user" content="([^"]+)"/.exec((await browser.get('/journal')).text)![1],
    });
    const open = await browser.upload('/account/import', 'file', ownBackup);
    expect(open.status).toBe(409);
    expect(open.text).toContain('your journal is not sealed');
    await sealJournal(browser);
    const plain = JSON.stringify({
      format: 'smriti-export',
      version: 1,
      entries: [{ title: 'Plain', body: 'text', createdAt: '2025-01-01T00:00:00Z' }],
    });
    const refused = await browser.upload('/account/import', 'file', plain);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Import this file from your browser');
    expect((await browser.upload('/account/import', 'file', othersBackup)).status).toBe(400);
    expect((await browser.json('get', '/api/entries')).body.total).toBe(0);
  });
});
