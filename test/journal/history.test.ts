// An entry's history (issue 34): every save is a version; any can be shown and restored as a new one.
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();

async function save(browser: Awaited<ReturnType<typeof signedInBrowser>>['browser'], id: string, fields: Record<string, string>) {
  const res = await browser.post(`/journal/${id}`, fields);
  expect(res.status).toBe(303);
}

describe('an entry’s history', () => {
  it('lists every saved version newest first, with its size and what it changed', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Walk', 'Rain on the hill.');
    await save(browser, id, { title: 'Walk', body: 'Rain on the hill, then sun.', entry_date: '2026-12-01', tags: '' });
    await save(browser, id, { title: 'A walk', body: 'Rain on the hill, then sun.', entry_date: '2026-12-01', tags: '' });
    const page = await browser.get(`/journal/${id}/history`);
    expect(page.status).toBe(200);
    const rows = page.text.split('class="version-row"').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('Version 3</a> <span class="badge">current</span>');
    expect(rows[0]).toContain('Title changed');
    expect(rows[1]).toContain('Date and text changed (+10 characters)');
    expect(rows[1]).toContain('6 words, 27 characters');
    expect(rows[2]).toContain('First written');
    expect((await browser.get(`/journal/${id}`)).text).toContain(`href="/journal/${id}/history"`);
  });

  it('shows an old version as it was, with a form to restore it', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Letter', 'Dear **you**.');
    await save(browser, id, { title: 'Letter', body: 'Never mind.', tags: 'unsent' });
    const old = await browser.get(`/journal/${id}/history/1`);
    expect(old.status).toBe(200);
    expect(old.text).toContain('Dear <strong>you</strong>.');
    expect(old.text).not.toContain('Never mind.');
    expect(old.text).toContain(`action="/journal/${id}/history/1/restore"`);
    expect(old.text).toContain('name="current" value="2"');
    const current = await browser.get(`/journal/${id}/history/2`);
    expect(current.text).toContain('(the current version)');
    expect(current.text).not.toContain('/restore"');
  });

  it('restores a version as a new version and keeps every earlier one', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Plan', 'Go north. #trip');
    await save(browser, id, { title: 'Plan B', body: 'Stay home.', entry_date: '2025-01-02', tags: 'home' });
    const restored = await browser.post(`/journal/${id}/history/1/restore`, { current: '2' });
    expect(restored.status).toBe(303);
    expect(restored.headers.location).toBe(`/journal/${id}`);
    const entry = (await browser.json('get', `/api/entries/${id}`)).body;
    expect(entry).toMatchObject({ title: 'Plan', body: 'Go north. #trip', version: 3, tags: ['trip'] });
    const shown = (await browser.get(`/journal/${id}`)).text;
    expect(shown).toContain('Restored version 1 as version 3');
    const history = (await browser.get(`/journal/${id}/history`)).text;
    expect(history.split('class="version-row"')).toHaveLength(4);
    expect((await browser.get(`/journal/${id}/history/2`)).text).toContain('Stay home.');
  });

  it('answers 409 and overwrites nothing when the entry changed after the version page was opened', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Draft', 'one');
    await save(browser, id, { title: 'Draft', body: 'two' });
    await save(browser, id, { title: 'Draft', body: 'three' });
    const stale = await browser.post(`/journal/${id}/history/1/restore`, { current: '2' });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('changed in another tab or device');
    expect((await browser.json('get', `/api/entries/${id}`)).body).toMatchObject({ body: 'three', version: 3 });
  });

  it('records saves made through the JSON API too', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'API', 'first');
    expect((await browser.json('put', `/api/entries/${id}`, { title: 'API', body: 'second' })).status).toBe(200);
    expect((await browser.get(`/journal/${id}/history/1`)).text).toContain('first');
    expect((await browser.get(`/journal/${id}/history/2`)).text).toContain('second');
  });

  it('shows nobody else’s history, and answers 404 or 400 with a sentence for a bad version', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Mine', 'private words');
    expect((await other.get(`/journal/${id}/history`)).status).toBe(404);
    expect((await other.get(`/journal/${id}/history/1`)).status).toBe(404);
    expect((await other.post(`/journal/${id}/history/1/restore`, { current: '1' })).status).toBe(404);
    const missing = await browser.get(`/journal/${id}/history/9`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('This entry has no such version.');
    const bad = await browser.get(`/journal/${id}/history/abc`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('whole number');
  });

  it('deletes an entry’s history with the entry when it is deleted for good', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Short-lived', 'x');
    await browser.post(`/journal/${id}/delete`);
    await browser.json('delete', `/api/entries/${id}/trash`);
    const left = await setup.db.query('SELECT 1 FROM entry_versions WHERE entry_id = $1', [id]);
    expect(left.rowCount).toBe(0);
  });
});
