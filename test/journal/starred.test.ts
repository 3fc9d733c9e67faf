// Issue 34: a star on every entry, the starred list, and stars kept through export and import.
import { describe, expect, it } from 'vitest';
import { type Browser, signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

const titlesOf = (res: { body: { entries: Array<{ title: string }> } }) => res.body.entries.map((e) => e.title);
const cardTitles = (html: string) => [...html.matchAll(/class="entry-title"[^>]*>([^<]+)</g)].map((m) => m[1]);

async function entry(browser: Browser, fields: Record<string, unknown>): Promise<{ id: string; version: number; starred: boolean }> {
  const res = await browser.json('post', '/api/entries', { body: 'x', ...fields });
  expect(res.status).toBe(201);
  return res.body;
}

describe('starred entries', () => {
  it('takes starred in JSON, keeps it through a change that does not name it, and lists only starred ones', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const plain = await entry(browser, { title: 'Plain' });
    const starred = await entry(browser, { title: 'Starred', starred: true });
    expect(plain.starred).toBe(false);
    expect(starred.starred).toBe(true);

    const changed = await browser.json('put', `/api/entries/${starred.id}`, { title: 'Starred still', body: 'y' });
    expect(changed.body).toMatchObject({ starred: true, version: 2 });
    const unstarred = await browser.json('put', `/api/entries/${plain.id}`, { title: 'Plain', body: 'x', starred: true });
    expect(unstarred.body.starred).toBe(true);
    await browser.json('put', `/api/entries/${plain.id}`, { title: 'Plain', body: 'x', starred: false });

    expect(titlesOf(await browser.json('get', '/api/entries?starred=1'))).toEqual(['Starred still']);
    expect((await browser.json('get', '/api/entries?starred=1')).body.total).toBe(1);
    const page = (await browser.get('/journal?starred=1')).text;
    expect(cardTitles(page)).toEqual(['Starred still']);
    expect(page).toContain('1 starred entry');
    expect(page).toContain('<span class="visually-hidden">Starred</span>');
  });

  it('refuses a starred that is not true or false, and a starred filter that is not 1 or 0', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await browser.json('post', '/api/entries', { title: 'x', body: 'y', starred: 'yes' });
    expect(res.status).toBe(400);
    expect(res.body.fields.starred).toBe('Starred is true or false.');
    expect((await browser.json('get', '/api/entries?starred=maybe')).status).toBe(400);
    expect((await browser.get('/journal?starred=maybe')).status).toBe(400);
    expect((await browser.json('get', '/api/entries?starred=0')).status).toBe(200);
  });

  it('stars and unstars from the entry page with the starred form field, without changing the version', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { id } = await entry(browser, { title: 'Garden' });
    const page = (await browser.get(`/journal/${id}`)).text;
    expect(page).toContain(`action="/journal/${id}/star"`);
    expect(page).toContain('aria-pressed="false"');

    const starred = await browser.post(`/journal/${id}/star`, { starred: '1' });
    expect(starred.status).toBe(303);
    expect(starred.headers.location).toBe(`/journal/${id}`);
    expect((await browser.json('get', `/api/entries/${id}`)).body).toMatchObject({ starred: true, version: 1 });
    expect((await browser.get(`/journal/${id}`)).text).toContain('aria-pressed="true"');

    await browser.post(`/journal/${id}/star`, { starred: '0' });
    expect((await browser.json('get', `/api/entries/${id}`)).body.starred).toBe(false);
    expect((await browser.post(`/journal/${id}/star`, { starred: 'perhaps' })).status).toBe(400);
  });

  it("answers 404 when starring another writer's entry, and leaves it as it was", async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const { id } = await entry(owner, { title: 'Mine' });
    expect((await other.post(`/journal/${id}/star`, { starred: '1' })).status).toBe(404);
    expect((await owner.json('get', `/api/entries/${id}`)).body.starred).toBe(false);
  });

  it('keeps the star when the entry is saved from the editor form', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { id } = await entry(browser, { title: 'Kept', starred: true });
    expect((await browser.post(`/journal/${id}`, { title: 'Kept', body: 'edited', version: '1' })).status).toBe(303);
    expect((await browser.json('get', `/api/entries/${id}`)).body).toMatchObject({ starred: true, body: 'edited' });
  });

  it('keeps stars in the JSON and Markdown exports and brings them back on import', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await entry(browser, { title: 'Shining', starred: true });
    await entry(browser, { title: 'Dull' });
    const exported = await browser.get('/account/export');
    expect(exported.status, exported.text.slice(0, 3000)).toBe(200);
    const json = JSON.parse(exported.text);
    const byTitle = Object.fromEntries(json.entries.map((e: { title: string; starred?: boolean }) => [e.title, e.starred]));
    expect(byTitle).toEqual({ Shining: true, Dull: undefined });
    const markdown = (await browser.get('/account/export?format=markdown')).text;
    expect(markdown).toMatch(/"title":"Shining"[^\n]*"starred":true/);

    const { browser: fresh } = await signedInBrowser(setup.t.app);
    expect((await fresh.upload('/account/import', 'file', markdown, 'journal.md')).status).toBe(303);
    expect(titlesOf(await fresh.json('get', '/api/entries?starred=1'))).toEqual(['Shining']);
    const { browser: third } = await signedInBrowser(setup.t.app);
    expect((await third.upload('/account/import', 'file', JSON.stringify(json))).status).toBe(303);
    expect(titlesOf(await third.json('get', '/api/entries?starred=1'))).toEqual(['Shining']);
  });

  it("imports Day One's starred", async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const file = {
      metadata: { version: '1.0' },
      entries: [
        { text: '# Road trip\nThe coast.', creationDate: '2021-08-01T19:30:00Z', starred: true },
        { text: '# Errands\nMilk.', creationDate: '2021-08-02T19:30:00Z', starred: false },
        { text: '# Nothing said\nRain.', creationDate: '2021-08-03T19:30:00Z' },
      ],
    };
    expect((await browser.upload('/account/import', 'file', JSON.stringify(file), 'Journal.json')).status).toBe(303);
    expect(titlesOf(await browser.json('get', '/api/entries?starred=1'))).toEqual(['Road trip']);
    expect((await browser.json('get', '/api/entries')).body.total).toBe(3);
  });
});
