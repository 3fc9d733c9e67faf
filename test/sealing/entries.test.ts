// A sealed journal's entries (DESIGN §16): ciphertext in, ciphertext out, plaintext refused, and the
// trash, history and search working on what the server can see.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';
import { ciphertext, sealJournal, sealPending } from './helpers.js';

const setup = useTestApp();

describe('the entries API of a sealed journal', () => {
  it('refuses a sealed write into an open journal (409 journal_open) and writes nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Open', 'Plain.');
    const created = await browser.json('post', '/api/entries', { id: randomUUID(), sealed: ciphertext() });
    expect(created.status).toBe(409);
    expect(created.body.error).toBe('journal_open');
    expect(created.body.message).toMatch(/not sealed/);
    const changed = await browser.json('put', `/api/entries/${id}`, { sealed: ciphertext(), version: 1 });
    expect(changed.body.error).toBe('journal_open');
    expect((await browser.json('get', `/api/entries/${id}`)).body).toMatchObject({ title: 'Open', version: 1 });
  });

  it('refuses plaintext into a sealed journal (409 journal_sealed), as well as a write mixing both', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Before', 'Sealed later.');
    await sealJournal(browser);
    for (const [method, path, body] of [
      ['post', '/api/entries', { title: 'Plain', body: 'text' }],
      ['post', '/api/entries', { id: randomUUID(), sealed: ciphertext(), title: 'Leak' }],
      ['put', `/api/entries/${id}`, { title: 'Plain', body: 'text', version: 1 }],
      ['put', `/api/entries/${id}`, { sealed: ciphertext(), tags: ['leak'], version: 1 }],
    ] as const) {
      const res = await browser.json(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.body.error).toBe('journal_sealed');
      expect(res.body.message).toMatch(/sealed/);
    }
    expect(
      (await setup.db.query('SELECT count(*)::int AS n FROM entries WHERE user_id = (SELECT user_id FROM entries WHERE id = $1)', [id]))
        .rows[0],
    ).toEqual({ n: 1 });
  });

  it('creates a sealed entry under the id the browser sealed it for, and answers it without title, body or tags', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const id = randomUUID();
    const sealed = ciphertext(200);
    const created = await browser.json('post', '/api/entries', { id, sealed, entryDate: '2026-03-05' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/entries/${id}`);
    const got = await browser.json('get', `/api/entries/${id}`);
    expect(got.body).toEqual({
      id,
      entryDate: '2026-03-05',
      version: 1,
      sealed,
      trashed: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(got.headers.etag).toBe('"1"');
    const list = (await browser.json('get', '/api/entries')).body.entries;
    expect(list).toEqual([got.body]);
    // The same id again is a conflict, not an overwrite; a create without an id is refused with a sentence.
    expect((await browser.json('post', '/api/entries', { id, sealed: ciphertext() })).status).toBe(409);
    const noId = await browser.json('post', '/api/entries', { sealed: ciphertext() });
    expect(noId.status).toBe(400);
    expect(noId.body.message).toMatch(/id/);
    expect((await browser.json('post', '/api/entries', { id: randomUUID(), sealed: 'not-base64' })).status).toBe(400);
  });

  it('lists a sealed journal in pages of up to 500 (?pageSize=), for the browser to read it whole', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    for (let n = 0; n < 3; n += 1) await browser.json('post', '/api/entries', { id: randomUUID(), sealed: ciphertext() });
    const page = await browser.json('get', '/api/entries?pageSize=2&page=2');
    expect(page.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(page.body.entries).toHaveLength(1);
    expect((await browser.json('get', '/api/entries?pageSize=500')).body.entries).toHaveLength(3);
    for (const bad of ['0', '501', 'x']) expect((await browser.json('get', `/api/entries?pageSize=${bad}`)).status).toBe(400);
  });

  it('saves a sealed change by version: a stale one is a 409 conflict with the entry as it is', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const id = randomUUID();
    await browser.json('post', '/api/entries', { id, sealed: ciphertext() });
    const next = ciphertext();
    const saved = await browser.json('put', `/api/entries/${id}`, { sealed: next, version: 1, entryDate: '2025-01-02' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ version: 2, sealed: next, entryDate: '2025-01-02' });
    const stale = await browser.json('put', `/api/entries/${id}`, { sealed: ciphertext(), version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'conflict', current: { version: 2, sealed: next } });
    const history = await setup.db.query<{ version: number; sealed: string | null; title: string }>(
      'SELECT version, sealed, title FROM entry_versions WHERE entry_id = $1 ORDER BY version',
      [id],
    );
    expect(history.rows.map((v) => [v.version, v.title, v.sealed !== null])).toEqual([
      [1, '', true],
      [2, '', true],
    ]);
  });

  it('moves a sealed entry to the trash and back, and deletes it for good', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const id = randomUUID();
    const sealed = ciphertext();
    await browser.json('post', '/api/entries', { id, sealed });
    expect((await browser.json('delete', `/api/entries/${id}`)).status).toBe(204);
    expect((await browser.json('get', `/api/entries/${id}`)).status).toBe(404);
    const restored = await browser.json('post', `/api/entries/${id}/restore`);
    expect(restored.body).toMatchObject({ id, sealed, version: 1, trashed: false });
    expect((await browser.post(`/journal/${id}/delete`)).status).toBe(303);
    expect((await browser.post(`/journal/${id}/restore`)).status).toBe(303);
    await browser.json('delete', `/api/entries/${id}`);
    expect((await browser.json('delete', `/api/entries/${id}/trash`)).status).toBe(204);
  });

  it('finds nothing by server search in a sealed journal, not even entries still waiting to be sealed', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const ids = [
      await writeEntry(browser, 'Kingfisher', 'A flash of blue'),
      await writeEntry(browser, 'Kingfisher again', 'Blue once more'),
    ];
    await sealJournal(browser);
    expect((await browser.json('get', '/api/entries?q=kingfisher')).body.total).toBe(0);
    expect((await browser.json('get', '/api/search?q=blue')).body.total).toBe(0);
    expect((await browser.get('/journal?q=kingfisher')).text).not.toContain('A flash of blue');
    await sealPending(browser);
    // Sealed, an entry leaves nothing in the search columns, nor in its tags.
    const vectors = await setup.db.query<{ empty: boolean }>(
      "SELECT search_vector = ''::tsvector AND search_grams = ''::tsvector AND tags = '{}' AS empty FROM entries WHERE id = ANY($1::uuid[])",
      [ids],
    );
    expect(vectors.rows).toHaveLength(2);
    expect(vectors.rows.every((v) => v.empty)).toBe(true);
  });
});

describe('the journal pages of a sealed journal', () => {
  it('answers a form post into a sealed journal with a 409 page that says why, and saves nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Plain', 'Before sealing');
    await sealJournal(browser);
    for (const [path, form] of [
      ['/journal', { title: 'New', body: 'plaintext' }],
      [`/journal/${id}`, { title: 'Changed', body: 'plaintext', version: '1' }],
      [`/journal/${id}/star`, { starred: '1' }],
    ] as const) {
      const res = await browser.post(path, form);
      expect(res.status, path).toBe(409);
      expect(res.text).toContain('Your journal is sealed');
    }
    expect((await browser.json('get', `/api/entries/${id}`)).body).toMatchObject({ title: 'Plain', starred: false, version: 1 });
  });

  it('shades a sealed entry’s day in the calendar by its size, the one thing about its text the server sees', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const write = async (entryDate: string, bytes: number) =>
      expect((await browser.json('post', '/api/entries', { id: randomUUID(), entryDate, sealed: ciphertext(bytes) })).status).toBe(201);
    await write('2025-03-05', 60);
    await write('2025-03-06', 3000);
    const page = (await browser.get('/journal/calendar?year=2025')).text;
    const level = (day: string) => new RegExp(`<a class="heat-(\\d)" href="/journal\\?day=${day}">`).exec(page)?.[1];
    // 60 bytes sealed: a short entry (level 1); 3,000 bytes: about 3,000 characters (level 3 of 4).
    expect([level('2025-03-05'), level('2025-03-06')]).toEqual(['1', '3']);
  });

  it('tells the scripts the journal is sealed, and whose it is, in the layout', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const open = (await browser.get('/journal')).text;
    expect(open).toContain('<meta name="smriti-journal" content="open"');
    const userId = /<meta name="smriti-user" content="([^"]+)">/.exec(open)?.[1];
    expect(userId).toMatch(/^[0-9a-f-]{36}$/);
    await sealJournal(browser);
    for (const path of ['/journal', '/journal/trash', '/account', '/search?q=x']) {
      const text = (await browser.get(path)).text;
      expect(text, path).toContain('<meta name="smriti-journal" content="sealed"');
      expect(text, path).toContain(`<meta name="smriti-user" content="${userId}">`);
    }
  });

  it('hands every page its entries’ ciphertext in data-sealed, and no plaintext', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const id = randomUUID();
    const sealed = ciphertext();
    await browser.json('post', '/api/entries', { id, sealed, entryDate: '2026-02-03' });
    const attribute = `data-sealed="${sealed}"`;
    for (const path of ['/journal', '/journal?month=2026-02', `/journal/${id}`, `/journal/${id}/edit`, `/journal/${id}/history/1`]) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).toContain(attribute);
    }
    await browser.post(`/journal/${id}/delete`);
    expect((await browser.get('/journal/trash')).text).toContain(attribute);
  });

  it('restores a sealed version of the history as a new sealed version', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const id = randomUUID();
    const first = ciphertext();
    await browser.json('post', '/api/entries', { id, sealed: first });
    await browser.json('put', `/api/entries/${id}`, { sealed: ciphertext(), version: 1 });
    const history = (await browser.get(`/journal/${id}/history`)).text;
    expect(history).toContain(`/journal/${id}/history/1`);
    expect(history).toContain('First written, sealed');
    expect(history).toContain('Saved, sealed');
    const restored = await browser.post(`/journal/${id}/history/1/restore`, { current: '2' });
    expect(restored.status).toBe(303);
    expect((await browser.json('get', `/api/entries/${id}`)).body).toMatchObject({ version: 3, sealed: first });
    const stale = await browser.post(`/journal/${id}/history/1/restore`, { current: '2' });
    expect(stale.status).toBe(409);
  });
});
