// The trash (DESIGN §15): delete moves there for 30 days; restore, delete for good, the pruner.
import { describe, expect, it } from 'vitest';
import { pruneExpiredRows } from '../../src/prune.js';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();
const DAY_SECONDS = 24 * 60 * 60;

async function stored(id: string) {
  return (await setup.db.query<{ deleted: boolean }>('SELECT deleted_at IS NOT NULL AS deleted FROM entries WHERE id = $1', [id])).rows[0];
}

describe('the trash', () => {
  it('moves a deleted entry out of the list, search and GET by id, into /journal/trash', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Regret', 'A kestrel over the field.');
    expect((await browser.json('delete', `/api/entries/${id}`)).status).toBe(204);
    expect(await stored(id)).toEqual({ deleted: true });
    expect((await browser.json('get', `/api/entries/${id}`)).status).toBe(404);
    expect((await browser.json('put', `/api/entries/${id}`, { title: 'x', body: 'y' })).status).toBe(404);
    expect((await browser.json('get', '/api/entries')).body.total).toBe(0);
    expect((await browser.json('get', '/api/entries?q=kestrel')).body.total).toBe(0);
    expect((await browser.get(`/journal/${id}`)).status).toBe(404);
    expect((await browser.get('/journal')).text).not.toContain('Regret');
    const trash = (await browser.get('/journal/trash')).text;
    expect(trash).toContain('Regret');
    expect(trash).toContain(`action="/journal/${id}/restore"`);
    expect(trash).toContain('goes for good on');
    // A second delete finds nothing live to move.
    expect((await browser.json('delete', `/api/entries/${id}`)).status).toBe(404);
  });

  it('restores an entry as it was, from the page and from the API', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Back', 'Still here.');
    const moved = await browser.post(`/journal/${id}/delete`);
    expect(moved.headers.location).toBe('/journal');
    expect((await browser.get('/journal')).text).toContain('to the trash. It stays there for 30 days.');
    const restored = await browser.post(`/journal/${id}/restore`);
    expect(restored.status).toBe(303);
    expect(restored.headers.location).toBe(`/journal/${id}`);
    expect((await browser.json('get', `/api/entries/${id}`)).body.body).toBe('Still here.');
    await browser.json('delete', `/api/entries/${id}`);
    const api = await browser.json('post', `/api/entries/${id}/restore`);
    expect(api.status).toBe(200);
    expect(api.body.title).toBe('Back');
    expect((await browser.json('post', `/api/entries/${id}/restore`)).status).toBe(404);
  });

  it('deletes for good only from the trash, and only the owner’s', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Gone', 'x');
    expect((await browser.post(`/journal/${id}/purge`)).status).toBe(404);
    expect(await stored(id)).toEqual({ deleted: false });
    await browser.post(`/journal/${id}/delete`);
    expect((await other.post(`/journal/${id}/purge`)).status).toBe(404);
    expect((await other.post(`/journal/${id}/restore`)).status).toBe(404);
    expect((await other.json('delete', `/api/entries/${id}/trash`)).status).toBe(404);
    expect((await other.get('/journal/trash')).text).not.toContain('Gone');
    const purged = await browser.post(`/journal/${id}/purge`);
    expect(purged.headers.location).toBe('/journal/trash');
    expect(await stored(id)).toBeUndefined();
    const second = await writeEntry(browser, 'Also gone', 'y');
    await browser.json('delete', `/api/entries/${second}`);
    expect((await browser.json('delete', `/api/entries/${second}/trash`)).status).toBe(204);
    expect(await stored(second)).toBeUndefined();
  });

  it('keeps trashed entries in both exports, marked, and brings them back into the trash on import', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Binned', 'in the bin');
    await writeEntry(browser, 'Kept', 'alive');
    await browser.json('delete', `/api/entries/${id}`);
    const json = (await browser.get('/account/export')).text;
    const file = JSON.parse(json);
    expect(file.entries.find((e: { title: string }) => e.title === 'Binned').trashedAt).toMatch(/^\d{4}-/);
    expect(file.entries.find((e: { title: string }) => e.title === 'Kept').trashedAt).toBeUndefined();
    expect((await browser.get('/account/export?format=markdown')).text).toMatch(/## Binned\n\n[^\n]+\n_[^_]+ · in the trash since [^_]+_/);
    const { browser: copy } = await signedInBrowser(setup.t.app);
    expect((await copy.upload('/account/import', 'file', json)).status).toBe(303);
    expect((await copy.json('get', '/api/entries')).body.entries.map((e: { title: string }) => e.title)).toEqual(['Kept']);
    expect((await copy.get('/journal/trash')).text).toContain('Binned');
  });

  it('is emptied by the pruner after 30 days, not before', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Old', 'x');
    const live = await writeEntry(browser, 'Live', 'x');
    await browser.json('delete', `/api/entries/${id}`);
    setup.t.clock.advance(29 * DAY_SECONDS);
    await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now());
    expect(await stored(id)).toEqual({ deleted: true });
    setup.t.clock.advance(1 * DAY_SECONDS + 60);
    const removed = await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now());
    expect(removed.trashedEntries).toBeGreaterThanOrEqual(1);
    expect(await stored(id)).toBeUndefined();
    expect(await stored(live)).toEqual({ deleted: false });
  });
});

describe('deleting for good asks first (DESIGN §15)', () => {
  it('links from the trash to a confirmation page; only that page’s form deletes', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Ask first', 'x');
    await browser.post(`/journal/${id}/delete`);
    const trash = (await browser.get('/journal/trash')).text;
    expect(trash).not.toContain(`action="/journal/${id}/purge"`);
    expect(trash).toContain(`href="/journal/${id}/purge"`);
    const confirm = await browser.get(`/journal/${id}/purge`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Delete this entry for good?');
    expect(confirm.text).toContain(`action="/journal/${id}/purge"`);
    expect(confirm.text).toContain('href="/journal/trash"');
    expect(await stored(id)).toEqual({ deleted: true });
  });

  it('answers 404 for the confirmation page of an entry not in the trash', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Live', 'x');
    const res = await browser.get(`/journal/${id}/purge`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('There is no such entry in your trash.');
  });
});

describe('a trashed entry’s own address (defect 9)', () => {
  it('answers 404 with a page that says the entry is in the trash and offers to restore it', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Binned note', 'x');
    await browser.post(`/journal/${id}/delete`);
    for (const path of [`/journal/${id}`, `/journal/${id}/edit`]) {
      const res = await browser.get(path);
      expect(res.status).toBe(404);
      expect(res.text).toContain('This entry is in the trash');
      expect(res.text).toContain('<strong data-sealed-title>Binned note</strong>');
      expect(res.text).toContain(`action="/journal/${id}/restore"`);
      expect(res.text).toContain('href="/journal/trash"');
      expect(res.text).not.toContain('There is no such entry');
    }
    const stranger = await other.get(`/journal/${id}`);
    expect(stranger.status).toBe(404);
    expect(stranger.text).toContain('There is no such entry in your journal.');
    expect(stranger.text).not.toContain('Binned note');
  });
});
