import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { listMigrations, MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js';
import { type Browser, signedInBrowser, TEST_ORIGIN, useTestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

const setup = useTestApp();

function put(browser: Browser, id: string, body: object, ifMatch?: string) {
  const test = request(setup.t.app).put(`/api/entries/${id}`).set('Cookie', browser.jar.header()).set('Origin', TEST_ORIGIN);
  if (ifMatch !== undefined) test.set('If-Match', ifMatch);
  return test.send(body);
}

async function stored(id: string): Promise<{ body: string; version: number }> {
  return (await setup.db.query<{ body: string; version: number }>('SELECT body, version FROM entries WHERE id = $1', [id])).rows[0]!;
}

async function newEntry(body = 'First words.') {
  const { browser } = await signedInBrowser(setup.t.app);
  const created = await browser.json('post', '/api/entries', { title: 'Versions', body });
  return { browser, id: created.body.id as string, created };
}

describe('entry versions', () => {
  it('starts at version 1 and adds one on every save, in every entry JSON and as the ETag', async () => {
    const { browser, id, created } = await newEntry();
    expect(created.body.version).toBe(1);
    expect(created.headers.etag).toBe('"1"');

    const second = await put(browser, id, { title: 'Versions', body: 'Second.' }, '"1"');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id, body: 'Second.', version: 2 });
    expect(second.headers.etag).toBe('"2"');
    expect((await put(browser, id, { title: 'Versions', body: 'Third.', version: 2 })).body.version).toBe(3);
    expect((await put(browser, id, { title: 'Versions', body: 'Fourth, no condition.' })).body.version).toBe(4);

    const read = await browser.json('get', `/api/entries/${id}`);
    expect(read.body.version).toBe(4);
    expect(read.headers.etag).toBe('"4"');
    expect((await browser.json('get', '/api/entries')).body.entries[0]).toMatchObject({ id, version: 4 });
    const unchanged = await request(setup.t.app).get(`/api/entries/${id}`).set('Cookie', browser.jar.header()).set('If-None-Match', '"4"');
    expect(unchanged.status).toBe(304);
    expect(await stored(id)).toEqual({ body: 'Fourth, no condition.', version: 4 });
  });

  it('answers 409 with the stored entry for a stale If-Match, and leaves the stored text alone', async () => {
    const { browser, id } = await newEntry();
    expect((await put(browser, id, { title: 'Versions', body: 'Saved in the first tab.' }, '"1"')).status).toBe(200);

    const stale = await put(browser, id, { title: 'Versions', body: 'Typed in the second tab.' }, '"1"');
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({
      error: 'conflict',
      message: expect.stringContaining('changed in another tab or device'),
      current: expect.objectContaining({ id, title: 'Versions', body: 'Saved in the first tab.', version: 2 }),
    });
    expect(await stored(id)).toEqual({ body: 'Saved in the first tab.', version: 2 });
  });

  it('answers 409 for a stale version field in the body, and leaves the stored text alone', async () => {
    const { browser, id } = await newEntry();
    await put(browser, id, { title: 'Versions', body: 'Phone.' });
    const stale = await put(browser, id, { title: 'Versions', body: 'Laptop.', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.current).toMatchObject({ body: 'Phone.', version: 2 });
    expect(await stored(id)).toEqual({ body: 'Phone.', version: 2 });
  });

  it('lets exactly one of two saves made from the same version win', async () => {
    const { browser, id } = await newEntry();
    for (let round = 1; round <= 5; round++) {
      const texts = [`Tab A, round ${round}.`, `Tab B, round ${round}.`];
      const answers = await Promise.all(texts.map((body) => put(browser, id, { title: 'Race', body }, `"${round}"`)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.status === 200)!;
      const loser = answers.find((a) => a.status === 409)!;
      expect(winner.body.version).toBe(round + 1);
      expect(loser.body.current).toMatchObject({ body: winner.body.body, version: round + 1 });
      expect(await stored(id)).toEqual({ body: winner.body.body, version: round + 1 });
    }
  });

  it('refuses a malformed If-Match or version with a 4xx and writes nothing', async () => {
    const { browser, id } = await newEntry('Untouched.');
    const headers: Array<[string, number]> = [
      ['1', 400],
      ['"abc"', 400],
      ['"0"', 400],
      ['"-1"', 400],
      ['""', 400],
      ['"1', 400],
      ['"99999999999"', 400],
      ['"1", "2"', 400],
      ['W/"1"', 412],
    ];
    for (const [ifMatch, status] of headers) {
      const answer = await put(browser, id, { title: 'x', body: 'overwritten?' }, ifMatch);
      expect(answer.status, `If-Match: ${ifMatch}`).toBe(status);
      expect(typeof answer.body.message).toBe('string');
    }
    for (const version of ['abc', -1, 0, 1.5, true, { n: 1 }, [1], 2 ** 31]) {
      const answer = await put(browser, id, { title: 'x', body: 'overwritten?', version });
      expect(answer.status, `version: ${JSON.stringify(version)}`).toBe(400);
      expect(answer.body.fields.version).toBeTruthy();
    }
    expect((await put(browser, id, { title: 'x', body: 'overwritten?', version: 2 }, '"1"')).status).toBe(400);
    expect(await stored(id)).toEqual({ body: 'Untouched.', version: 1 });
  });

  it('writes unconditionally without If-Match or version (scripts), and with If-Match: *', async () => {
    const { browser, id } = await newEntry();
    await put(browser, id, { title: 'x', body: 'Elsewhere.' });
    expect((await put(browser, id, { title: 'x', body: 'Any version.' }, '*')).status).toBe(200);
    expect((await put(browser, id, { title: 'x', body: 'Last word.' })).status).toBe(200);
    expect(await stored(id)).toEqual({ body: 'Last word.', version: 4 });
  });

  it("answers 404, not 409, for a stale save to another user's entry", async () => {
    const { id } = await newEntry('Mine.');
    const { browser: other } = await signedInBrowser(setup.t.app);
    const answer = await put(other, id, { title: 'x', body: 'Theirs.' }, '"1"');
    expect(answer.status).toBe(404);
    expect(answer.body.current).toBeUndefined();
    expect(await stored(id)).toEqual({ body: 'Mine.', version: 1 });
  });
});

describe('entry versions in the plain form', () => {
  it('answers a stale form post with 409 showing both texts, and posting that page again keeps mine', async () => {
    const { browser, id } = await newEntry('Opened here.');
    const form = await browser.get(`/journal/${id}/edit`);
    expect(form.text).toContain('name="version" value="1"');
    await put(browser, id, { title: 'Versions', body: 'Saved on the phone.' });

    const stale = await browser.post(`/journal/${id}`, { title: 'Versions', body: 'Typed on the laptop.', version: '1' });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('This entry was changed in another tab or device');
    expect(stale.text).toMatch(/<textarea id="body" name="body"[^>]*>\nTyped on the laptop\.<\/textarea>/);
    expect(stale.text).toMatch(/data-theirs-body[^>]*>Saved on the phone\.<\/div>/);
    expect(stale.text).toContain('name="version" value="2"');
    expect(await stored(id)).toEqual({ body: 'Saved on the phone.', version: 2 });

    const keepMine = await browser.post(`/journal/${id}`, { title: 'Versions', body: 'Typed on the laptop.', version: '2', keep: 'mine' });
    expect(keepMine.status).toBe(303);
    expect(await stored(id)).toEqual({ body: 'Typed on the laptop.', version: 3 });
  });

  it('keeps the version a form was opened at when it comes back with a field error, and refuses a forged version', async () => {
    const { browser, id } = await newEntry();
    const invalid = await browser.post(`/journal/${id}`, { title: 't'.repeat(300), body: 'x', version: '1' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('name="version" value="1"');
    expect((await browser.post(`/journal/${id}`, { title: 'x', body: 'y', version: 'one' })).status).toBe(400);
    expect(await stored(id)).toEqual({ body: 'First words.', version: 1 });
  });
});

describe('migration 011', () => {
  it('gives entries written before it version 1', async () => {
    const db = await createTestDb({ migrate: false });
    const earlier = mkdtempSync(join(tmpdir(), 'smriti-migrations-'));
    try {
      for (const name of listMigrations().filter((n) => n < '011')) cpSync(join(MIGRATIONS_DIR, name), join(earlier, name));
      await migrate(db, earlier);
      const user = await db.query<{ id: string }>(`INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id`);
      await db.query(`INSERT INTO entries (user_id, title, body) VALUES ($1, 'Old', 'Written before versions.')`, [user.rows[0]!.id]);
      expect(await migrate(db)).toContain('011_entry_versions.sql');
      const rows = await db.query<{ version: number }>('SELECT version FROM entries WHERE user_id = $1', [user.rows[0]!.id]);
      expect(rows.rows).toEqual([{ version: 1 }]);
    } finally {
      rmSync(earlier, { recursive: true, force: true });
      await db.close();
    }
  });
});
