import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { BODY_MAX_CHARS, PAGE_SIZE } from '../../src/journal/entries.js';
import { signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

async function countEntries(): Promise<number> {
  return (await setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM entries')).rows[0]!.n;
}

describe('entries JSON API', () => {
  it('creates, reads, updates, lists and deletes an entry', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const created = await browser.json('post', '/api/entries', { title: 'Monday', body: 'Rain again.' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Monday', body: 'Rain again.' });
    expect(created.headers.location).toBe(`/api/entries/${created.body.id}`);
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();

    const read = await browser.json('get', `/api/entries/${created.body.id}`);
    expect(read.body).toEqual(created.body);

    const updated = await browser.json('put', `/api/entries/${created.body.id}`, { title: 'Monday', body: 'Rain, then sun.' });
    expect(updated.status).toBe(200);
    expect(updated.body.body).toBe('Rain, then sun.');

    const list = await browser.json('get', '/api/entries');
    expect(list.body).toMatchObject({ page: 1, pageSize: PAGE_SIZE, total: 1 });
    expect(list.body.entries[0].id).toBe(created.body.id);

    expect((await browser.json('delete', `/api/entries/${created.body.id}`)).status).toBe(204);
    expect((await browser.json('get', `/api/entries/${created.body.id}`)).status).toBe(404);
  });

  it("answers 404 for another user's entry, for reading, changing and deleting", async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const entry = (await owner.json('post', '/api/entries', { title: 'Private', body: 'Mine alone.' })).body;
    expect((await other.json('get', `/api/entries/${entry.id}`)).status).toBe(404);
    expect((await other.json('put', `/api/entries/${entry.id}`, { title: 'x', body: 'y' })).status).toBe(404);
    expect((await other.json('delete', `/api/entries/${entry.id}`)).status).toBe(404);
    expect((await other.get(`/journal/${entry.id}`)).status).toBe(404);
    expect((await other.get(`/journal/${entry.id}/edit`)).status).toBe(404);
    expect((await other.post(`/journal/${entry.id}`, { title: 'x', body: 'y' })).status).toBe(404);
    expect((await other.post(`/journal/${entry.id}/delete`)).status).toBe(404);
    expect((await owner.json('get', `/api/entries/${entry.id}`)).body.body).toBe('Mine alone.');
    expect((await other.json('get', '/api/entries')).body.total).toBe(0);
  });

  it('refuses bad input with field-level 400s and writes nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const before = await countEntries();
    const cases: Array<[unknown, string]> = [
      [{ title: 5, body: 'x' }, 'title'],
      [{ title: 'x', body: ['a'] }, 'body'],
      [{ title: 't'.repeat(201), body: 'x' }, 'title'],
      [{ title: 'x', body: 'b'.repeat(BODY_MAX_CHARS + 1) }, 'body'],
      [{ title: '  ', body: '' }, 'body'],
      [{ title: 'nul\u0000', body: 'x' }, 'title'],
      [{ title: 'x', body: 'before\u0000after' }, 'body'],
      [[1, 2, 3], ''],
      ['"just a string"', ''],
    ];
    for (const [body, field] of cases) {
      const res =
        typeof body === 'string'
          ? await request(setup.t.app)
              .post('/api/entries')
              .set('Cookie', browser.jar.header())
              .set('Origin', 'http://smriti.test')
              .set('Content-Type', 'application/json')
              .send(body)
          : await browser.json('post', '/api/entries', body);
      expect(res.status).toBe(400);
      expect(typeof res.body.message).toBe('string');
      if (field) expect(res.body.fields[field]).toBeTruthy();
    }
    expect(await countEntries()).toBe(before);
  });

  it('answers 404 for malformed ids and 400 for a bad page number', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    expect((await browser.json('get', '/api/entries/not-a-uuid')).status).toBe(404);
    expect((await browser.json('get', "/api/entries/1' OR '1'='1")).status).toBe(404);
    expect((await browser.json('get', '/api/entries?page=0')).status).toBe(400);
    expect((await browser.json('get', '/api/entries?page=abc')).status).toBe(400);
    expect((await browser.get('/journal?page=-1')).status).toBe(400);
  });

  it('needs a valid access token', async () => {
    const res = await request(setup.t.app).get('/api/entries');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('token_missing');
  });
});

describe('journal pages without JavaScript', () => {
  it('create, view, edit and delete through plain forms with 303 redirects', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const form = await browser.get('/journal/new');
    expect(form.status).toBe(200);
    expect(form.text).toContain('action="/journal"');

    const created = await browser.post('/journal', { title: 'By hand', body: 'Line one\nLine two' });
    expect(created.status).toBe(303);
    const path = created.headers.location as string;
    expect(path).toMatch(/^\/journal\/[0-9a-f-]{36}$/);

    const shown = await browser.get(path);
    expect(shown.text).toContain('By hand');
    expect(shown.text).toContain('<p>Line one<br>\nLine two</p>');

    const edit = await browser.get(`${path}/edit`);
    expect(edit.text).toContain(`action="${path}"`);
    const updated = await browser.post(path, { title: 'By hand, again', body: 'Changed' });
    expect(updated.status).toBe(303);
    expect((await browser.get(path)).text).toContain('By hand, again');

    const confirm = await browser.get(`${path}/delete`);
    expect(confirm.text).toContain('Move this entry to the trash?');
    const deleted = await browser.post(`${path}/delete`);
    expect(deleted.status).toBe(303);
    expect(deleted.headers.location).toBe('/journal');
    const list = await browser.get('/journal');
    expect(list.text).toContain('Moved the entry to the trash.');
    expect((await browser.get(path)).status).toBe(404);
  });

  it('re-renders the editor with the typed text and a field message on bad input', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await browser.post('/journal', { title: 't'.repeat(300), body: 'keep me' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Keep the title under 200 characters.');
    expect(res.text).toContain('keep me');
  });

  it('lists entries newest first, escaped, paginated', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (let i = 1; i <= PAGE_SIZE + 2; i++) {
      setup.t.clock.advance(1);
      await browser.json('post', '/api/entries', {
        title: `Day ${i}`,
        body: i === PAGE_SIZE + 2 ? '<img src=x onerror=alert(1)>' : 'text',
      });
    }
    const first = await browser.get('/journal');
    expect(first.text.indexOf(`Day ${PAGE_SIZE + 2}`)).toBeLessThan(first.text.indexOf(`Day ${PAGE_SIZE + 1}`));
    expect(first.text).not.toContain('<img src=x');
    expect(first.text).toContain('&lt;img src=x');
    expect(first.text).toContain('Page 1 of 2');
    const second = await browser.get('/journal?page=2');
    expect(second.text).toContain('Day 1<');
    expect(second.text).not.toContain(`Day ${PAGE_SIZE + 2}<`);
  });
});
