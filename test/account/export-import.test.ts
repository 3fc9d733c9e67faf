import jwt from 'jsonwebtoken';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { importedIdFor } from '../../src/journal/entries-bulk.js';
import { type Browser, buildTestApp, fakeClock, signedInBrowser, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
let t: TestApp;
const clock = fakeClock(Date.parse('2024-03-01T08:00:00.000Z'));
beforeAll(async () => {
  db = await createTestDb();
  // The writer's days pass on the clock; a fresh sign-in for each export is the step-up tests' concern.
  t = buildTestApp(db, { STEP_UP_SECONDS: String(30 * 86400) }, clock);
  return () => db.close();
});

interface ExportedEntry {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

async function entryCount(browser: Browser): Promise<number> {
  const result = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM entries WHERE user_id = $1', [userIdOf(browser)]);
  return result.rows[0]!.n;
}

async function exportJson(browser: Browser): Promise<{ format: string; version: number; exportedAt: string; entries: ExportedEntry[] }> {
  const res = await browser.get('/account/export');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const day = new Date(clock.now()).toISOString().slice(0, 10);
  expect(res.headers['content-disposition']).toBe(`attachment; filename="smriti-export-${day}.json"`);
  return JSON.parse(res.text);
}

const withoutId = ({ id: _, ...rest }: ExportedEntry) => rest;

/** A writer with three entries a day apart, the middle one edited later, and text that needs escaping. */
async function writerWithEntries() {
  const { browser } = await signedInBrowser(t.app);
  const texts = [
    { title: 'Monday', body: 'Rain.\nThen "sun", and a <script>alert(1)</script> tag.' },
    { title: 'Tuesday — ünïcødé ✓', body: 'Emoji 🌧️ and a backslash \\ and a tab\t.' },
    { title: '', body: '## Not a heading of ours\nJust text.' },
  ];
  for (const text of texts) {
    expect((await browser.post('/journal', text)).status).toBe(303);
    clock.advance(86_400);
  }
  const [tuesday] = (await exportJson(browser)).entries.filter((e) => e.title.startsWith('Tuesday'));
  await browser.post(`/journal/${tuesday!.id}`, { title: tuesday!.title, body: `${tuesday!.body} Edited.` });
  return browser;
}

describe('export', () => {
  it('downloads every entry as Smriti JSON, newest first', async () => {
    const browser = await writerWithEntries();
    const file = await exportJson(browser);
    expect(file.format).toBe('smriti-export');
    expect(file.version).toBe(1);
    expect(file.exportedAt).toBe(new Date(clock.now()).toISOString());
    expect(file.entries.map((e) => e.title)).toEqual(['', 'Tuesday — ünïcødé ✓', 'Monday']);
    expect(Object.keys(file.entries[0]!).sort()).toEqual(['body', 'createdAt', 'entryDate', 'id', 'tags', 'title', 'updatedAt']);
    const tuesday = file.entries[1]!;
    expect(tuesday.body).toBe('Emoji 🌧️ and a backslash \\ and a tab\t. Edited.');
    expect(tuesday.updatedAt > tuesday.createdAt).toBe(true);
  });

  it('downloads Markdown: a heading and a date per entry, newest first', async () => {
    const browser = await writerWithEntries();
    const res = await browser.get('/account/export?format=markdown');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="smriti-export-\d{4}-\d{2}-\d{2}\.md"$/);
    const headings = res.text.split('\n').filter((line) => line.startsWith('## '));
    // The entry's own "## …" line reads below its title (defect 2 of issue 23).
    expect(headings).toEqual(['## Untitled', '## Tuesday — ünïcødé ✓', '## Monday']);
    expect(res.text).toContain('\n#### Not a heading of ours\nJust text.\n');
    expect(res.text).toMatch(
      /## Monday\n\n<!-- smriti-entry \{[^\n]+\} -->\n_\w+day, \d+ \w+ \d{4} · written \w{3}, \d+ \w{3} \d{4}, \d{2}:\d{2}_\n\nRain\.\n/,
    );
    expect(res.text).toMatch(/## Tuesday — ünïcødé ✓\n\n<!-- smriti-entry [^\n]+\n_[^_]+ · edited [^_]+_/);
    expect(res.text.indexOf('## Tuesday')).toBeLessThan(res.text.indexOf('## Monday'));
  });

  it("never includes another user's entries", async () => {
    const { browser: ann } = await signedInBrowser(t.app);
    const { browser: bob } = await signedInBrowser(t.app);
    await ann.post('/journal', { title: 'Ann only', body: 'private to Ann' });
    await bob.post('/journal', { title: 'Bob only', body: 'private to Bob' });
    expect((await exportJson(ann)).entries.map((e) => e.title)).toEqual(['Ann only']);
    const markdown = (await bob.get('/account/export?format=markdown')).text;
    expect(markdown).toContain('Bob only');
    expect(markdown).not.toContain('Ann');
  });

  it('streams in pages: every entry once, in order, even when many share one timestamp', async () => {
    const { browser } = await signedInBrowser(t.app);
    // 1,300 entries, 700 of them written in the same microsecond: more than one page shares a created_at.
    await db.query(
      `INSERT INTO entries (user_id, title, body, created_at, updated_at)
       SELECT $1, 'Entry ' || n, 'Body ' || n, ts, ts
         FROM generate_series(1, 1300) AS n,
              LATERAL (SELECT CASE WHEN n <= 700 THEN timestamptz '2023-01-01 00:00:00.123456+00'
                                   ELSE timestamptz '2023-01-02 00:00:00+00' + n * interval '1 microsecond' END AS ts) AS t`,
      [userIdOf(browser)],
    );
    const res = await browser.get('/account/export');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    const entries = JSON.parse(res.text).entries as ExportedEntry[];
    expect(entries).toHaveLength(1300);
    expect(new Set(entries.map((e) => e.id)).size).toBe(1300);
    expect(entries[0]!.title).toBe('Entry 1300');
    const times = entries.map((e) => e.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('answers 400 for an unknown format, and sends the signed-out to sign in', async () => {
    const { browser } = await signedInBrowser(t.app);
    expect((await browser.get('/account/export?format=pdf')).status).toBe(400);
    const anonymous = await request(t.app).get('/account/export');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/login?next=%2Faccount%2Fexport');
  });
});

describe('import', () => {
  it('round-trips into a fresh account with the same titles, bodies and dates, and twice adds nothing', async () => {
    const ann = await writerWithEntries();
    const file = await exportJson(ann);
    const { browser: bob } = await signedInBrowser(t.app);

    const first = await bob.upload('/account/import', 'file', JSON.stringify(file));
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/account');
    expect((await bob.get('/account')).text).toContain('Imported 3 entries.');
    const imported = (await exportJson(bob)).entries;
    expect(imported.map(withoutId)).toEqual(file.entries.map(withoutId));
    // Ann still has those ids, so Bob's copies got ids of their own.
    expect(imported.map((e) => e.id).filter((id) => file.entries.some((e) => e.id === id))).toEqual([]);

    const again = await bob.upload('/account/import', 'file', JSON.stringify(file));
    expect(again.status).toBe(303);
    expect((await bob.get('/account')).text).toContain('Imported 0 entries. 3 were already in your journal and skipped.');
    expect(await entryCount(bob)).toBe(3);
    expect((await exportJson(ann)).entries).toEqual(file.entries);
  });

  it('gives every id from the file an id derived from the account, and skips them on a second import', async () => {
    const { browser: bob } = await signedInBrowser(t.app);
    const fileId = '6f1c8a2e-0d4b-4c1e-9a57-3b2d1e0f9c8a';
    const file = {
      format: 'smriti-export',
      version: 1,
      entries: [
        { id: fileId, title: 'Derived id', body: 'x', createdAt: '2020-05-01T10:00:00.000Z' },
        { title: 'No id', body: 'y', createdAt: '2020-05-02T10:00:00+02:00' },
      ],
    };
    expect((await bob.upload('/account/import', 'file', JSON.stringify(file))).status).toBe(303);
    const entries = (await exportJson(bob)).entries;
    expect(entries.find((e) => e.title === 'Derived id')).toMatchObject({
      id: importedIdFor(userIdOf(bob), fileId),
      createdAt: '2020-05-01T10:00:00.000Z',
      updatedAt: '2020-05-01T10:00:00.000Z',
    });
    expect(entries.find((e) => e.title === 'No id')?.createdAt).toBe('2020-05-02T08:00:00.000Z');
    await bob.upload('/account/import', 'file', JSON.stringify({ ...file, entries: [file.entries[0]] }));
    expect(await entryCount(bob)).toBe(2);
    // Its own export, imported back, adds nothing either.
    const own = await bob.upload('/account/import', 'file', JSON.stringify(await exportJson(bob)));
    expect(own.status).toBe(303);
    expect(await entryCount(bob)).toBe(2);
  });

  it('answers the same for an id another account has as for a free one, and never touches the other account', async () => {
    const { browser: ann } = await signedInBrowser(t.app);
    await ann.post('/journal', { title: 'Ann’s own', body: 'not for Bob' });
    const annFile = await exportJson(ann);
    const taken = annFile.entries[0]!.id;
    const free = '1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a';
    const fileWith = (id: string) =>
      JSON.stringify({
        format: 'smriti-export',
        version: 1,
        entries: [{ id, title: 'Probe', body: 'p', createdAt: '2021-01-01T00:00:00Z' }],
      });

    const answers: string[] = [];
    for (const id of [taken, free]) {
      const { browser: prober } = await signedInBrowser(t.app);
      const first = await prober.upload('/account/import', 'file', fileWith(id));
      expect(first.status).toBe(303);
      const page = (await prober.get('/account')).text;
      const message = page.match(/Imported [^<]*/)![0];
      const stored = (await exportJson(prober)).entries.map((e) => e.id);
      expect(stored).toEqual([importedIdFor(userIdOf(prober), id)]);
      const again = await prober.upload('/account/import', 'file', fileWith(id));
      expect(again.status).toBe(303);
      answers.push(`${message} | ${(await prober.get('/account')).text.match(/Imported [^<]*/)![0]}`);
    }
    expect(answers[0]).toBe(answers[1]);
    expect(answers[0]).toBe('Imported 1 entry. | Imported 0 entries. 1 was already in your journal and skipped.');
    expect((await exportJson(ann)).entries).toEqual(annFile.entries);
  });

  const valid = { id: '0b8c7c1e-6f6a-4a51-9d55-2f1f6c1f0a3e', title: 'Fine', body: 'ok', createdAt: '2024-01-01T00:00:00.000Z' };
  const exportOf = (entries: unknown[]) =>
    JSON.stringify({ format: 'smriti-export', version: 1, exportedAt: '2024-01-02T00:00:00.000Z', entries });
  const badFiles: Array<[string, number, string, Buffer | string]> = [
    ['not JSON', 400, 'not valid JSON', 'this is a diary, not JSON'],
    ['not UTF-8', 400, 'not UTF-8 text', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ['a JSON array', 400, 'The file must be a JSON object', '[1, 2, 3]'],
    ['another format', 400, 'format: must be', JSON.stringify({ format: 'dayone', version: 1, entries: [] })],
    ['a later version', 400, 'version: must be 1', JSON.stringify({ format: 'smriti-export', version: 2, entries: [] })],
    ['entries not a list', 400, 'entries: must be a list', JSON.stringify({ format: 'smriti-export', version: 1, entries: {} })],
    ['a title that is a number', 400, 'entries[1].title: must be text', exportOf([valid, { ...valid, id: undefined, title: 7 }])],
    ['a missing date', 400, 'entries[0].createdAt', exportOf([{ title: 'x', body: 'y' }])],
    ['a date in no calendar', 400, 'entries[0].createdAt', exportOf([{ ...valid, createdAt: '2024-02-31T25:00:00Z' }])],
    ['a bad id', 400, 'entries[0].id', exportOf([{ ...valid, id: "1'; DROP TABLE entries; --" }])],
    ['a repeated id', 400, 'entries[1].id: repeats the id of entries[0]', exportOf([valid, { ...valid, title: 'Twin' }])],
    [
      'an entry over 200,000 characters',
      400,
      'entries[1].body: An entry can hold up to 200,000 characters',
      exportOf([valid, { ...valid, id: undefined, body: 'a'.repeat(200_001) }]),
    ],
    ['a NUL character', 400, 'entries[0].title', exportOf([{ ...valid, title: 'a\u0000b' }])],
    ['a 25 MB file', 413, 'larger than the 20 MB limit', exportOf([valid]).padEnd(25 * 1024 * 1024, ' ')],
  ];

  it.each(badFiles)('refuses %s with a %i and writes nothing', async (_situation, status, message, content) => {
    const { browser } = await signedInBrowser(t.app);
    const res = await browser.upload('/account/import', 'file', content);
    expect(res.status).toBe(status);
    expect(res.text).toContain('Nothing was imported');
    expect(res.text).toContain(message.replaceAll('"', '&#34;'));
    expect(await entryCount(browser)).toBe(0);
  });

  it('answers 400 for an upload with no file, the wrong field, two files or no multipart body', async () => {
    const { browser } = await signedInBrowser(t.app);
    const cookie = browser.jar.header();
    const post = () => request(t.app).post('/account/import').set('Cookie', cookie).set('Origin', 'http://smriti.test');
    const attempts = [
      post().field('note', 'no file here'),
      post().attach('upload', Buffer.from(exportOf([valid])), 'x.json'),
      post()
        .attach('file', Buffer.from(exportOf([valid])), 'a.json')
        .attach('file', Buffer.from(exportOf([valid])), 'b.json'),
      post()
        .type('form')
        .send({ file: exportOf([valid]) }),
      post()
        .set('Content-Type', 'multipart/form-data; boundary=xyz')
        .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n{"trunc'),
    ];
    for (const attempt of attempts) {
      const res = await attempt;
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/Choose a Smriti export file|Nothing was imported/);
    }
    expect(await entryCount(browser)).toBe(0);
  });

  it('refuses a cross-site upload before reading it', async () => {
    const { browser } = await signedInBrowser(t.app);
    const res = await request(t.app)
      .post('/account/import')
      .set('Cookie', browser.jar.header())
      .set('Origin', 'https://evil.example')
      .attach('file', Buffer.from(exportOf([valid])), 'x.json');
    expect(res.status).toBe(403);
    expect(await entryCount(browser)).toBe(0);
  });

  it('shows the import form and the export links on the account page', async () => {
    const { browser } = await signedInBrowser(t.app);
    const page = (await browser.get('/account')).text;
    expect(page).toContain('action="/account/import#import" enctype="multipart/form-data"');
    expect(page).toContain('href="/account/export"');
    expect(page).toContain('href="/account/export?format=markdown"');
    expect(page).toContain('action="/account/delete#delete"');
  });

  it('gives a journal exported from another Smriti back to a fresh account after the first was deleted', async () => {
    const { browser: ann, email } = await signedInBrowser(t.app);
    await ann.post('/journal', { title: 'Before', body: 'the move' });
    const file = await exportJson(ann);
    expect((await ann.post('/account/delete', { current_password: 'correct horse battery' })).status).toBe(303);
    const { browser: again } = await signedInBrowser(t.app, email);
    expect((await again.upload('/account/import', 'file', JSON.stringify(file))).status).toBe(303);
    expect((await exportJson(again)).entries.map(withoutId)).toEqual(file.entries.map(withoutId));
  });
});
