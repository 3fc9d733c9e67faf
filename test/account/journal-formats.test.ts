// The Markdown export read back, Day One imports, and where import and delete errors are shown.
import { describe, expect, it } from 'vitest';
import { type Browser, signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();

type Listed = { title: string; body: string; entryDate: string; tags: string[]; createdAt: string };
async function entriesOf(browser: Browser): Promise<Listed[]> {
  return (await browser.json('get', '/api/entries')).body.entries;
}

describe('the Markdown export', () => {
  it('keeps an entry’s own headings below its title and escapes the title (defect 2)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(
      browser,
      '*stars* and <em>tags</em> #1',
      '# Morning\n\nText.\n\n## Noon\n\nMore.\n\nEvening\n=======\n\n```\n# not a heading\n```',
    );
    const markdown = (await browser.get('/account/export?format=markdown')).text;
    expect(markdown).toContain('\n## \\*stars\\* and \\<em\\>tags\\</em\\> \\#1\n');
    expect(markdown).toContain('\n### Morning\n');
    expect(markdown).toContain('\n#### Noon\n');
    expect(markdown).toContain('\n### Evening\n');
    expect(markdown).toContain('\n# not a heading\n');
    const headings = markdown.split('\n').filter((line) => /^#{1,2} /.test(line));
    expect(headings).toEqual(['# Smriti journal', '## \\*stars\\* and \\<em\\>tags\\</em\\> \\#1', '# not a heading']);
  });

  it('round-trips through import: titles, bodies, days, tags and times come back exactly, and twice adds nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const bodies = ['# Heading\n\nSetext\n---\n\n- a\n- b', 'Plain line\r\nwith CRLF', '', 'Ends with newlines\n\n'];
    for (const [i, body] of bodies.entries()) {
      await browser.json('post', '/api/entries', {
        title: `T${i} <x> *y*`,
        body: body || 'x',
        entryDate: `2020-0${i + 1}-0${i + 1}`,
        tags: [`t${i}`],
      });
    }
    const markdown = (await browser.get('/account/export?format=markdown')).text;
    const { browser: copy } = await signedInBrowser(setup.t.app);
    const first = await copy.upload('/account/import', 'file', markdown, 'journal.md');
    expect(first.status).toBe(303);
    expect((await copy.get('/account')).text).toContain('Imported 4 entries.');
    const strip = (list: Listed[]) =>
      list.map(({ title, body, entryDate, tags, createdAt }) => ({ title, body, entryDate, tags, createdAt }));
    expect(strip(await entriesOf(copy))).toEqual(strip(await entriesOf(browser)));
    await copy.upload('/account/import', 'file', markdown, 'journal.md');
    expect((await copy.get('/account')).text).toContain('Imported 0 entries. 4 were already in your journal and skipped.');
  });

  it('refuses a Markdown file whose entry line was tampered with, importing nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(browser, 'One', 'x');
    await writeEntry(browser, 'Two', 'y');
    const markdown = (await browser.get('/account/export?format=markdown')).text.replace(/"createdAt":"[^"]+"/, '"createdAt":"yesterday"');
    const { browser: copy } = await signedInBrowser(setup.t.app);
    const res = await copy.upload('/account/import', 'file', markdown, 'journal.md');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Nothing was imported');
    expect(res.text).toContain('createdAt');
    expect(await entriesOf(copy)).toEqual([]);
  });
});

describe('Day One JSON import', () => {
  const dayOne = (entries: unknown[]) => JSON.stringify({ metadata: { version: '1.0' }, entries });
  const trip = {
    uuid: 'A1B2C3D4E5F60718293A4B5C6D7E8F90',
    text: '# Road trip\\!\n\nDrove to the coast. #sea',
    creationDate: '2021-08-01T19:30:00Z',
    modifiedDate: '2021-08-02T08:00:00Z',
    timeZone: 'Asia/Tokyo',
    tags: ['Road Trip', 'Summer'],
  };

  it('imports text, title, day (in the entry’s own zone), tags and times, and a second import adds nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const file = dayOne([trip, { text: 'No heading here.', creationDate: '2021-01-01T00:00:00Z' }]);
    expect((await browser.upload('/account/import', 'file', file, 'Journal.json')).status).toBe(303);
    const entries = await entriesOf(browser);
    expect(entries.map((e) => e.title)).toEqual(['Road trip!', 'No heading here.']);
    expect(entries[0]).toMatchObject({
      body: 'Drove to the coast. #sea',
      entryDate: '2021-08-02',
      tags: ['road-trip', 'summer', 'sea'],
      createdAt: '2021-08-01T19:30:00.000Z',
    });
    expect(entries[1]).toMatchObject({ body: '', entryDate: '2021-01-01' });
    await browser.upload('/account/import', 'file', file, 'Journal.json');
    expect((await browser.get('/account')).text).toContain('Imported 0 entries. 2 were already in your journal and skipped.');
  });

  it('takes off Day One’s escapes of punctuation and titles an entry by its first line, heading or not (issue 34, defect 5)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const long = `${'A long first paragraph that goes on '.repeat(4)}and on.`;
    const file = dayOne([
      {
        text: 'A great day\\!\n\nDrove 340\\.5 km \\(not 300\\), paths C:\\Users stay and \\\\ is one.',
        creationDate: '2021-03-01T00:00:00Z',
      },
      { text: '\n\n## Second \\#1 ##\nBody line.', creationDate: '2021-03-02T00:00:00Z' },
      { text: `${long}\nNext line.`, creationDate: '2021-03-03T00:00:00Z' },
    ]);
    expect((await browser.upload('/account/import', 'file', file, 'Journal.json')).status).toBe(303);
    const entries = (await entriesOf(browser)).reverse();
    expect(entries[0]).toMatchObject({ title: 'A great day!', body: 'Drove 340.5 km (not 300), paths C:\\Users stay and \\ is one.' });
    expect(entries[1]).toMatchObject({ title: 'Second #1', body: 'Body line.' });
    // A first line too long for a title gives the title its start and stays whole in the body.
    expect(entries[2]!.title).toBe('A long first paragraph that goes on A long first paragraph that goes on A long first paragraph…');
    expect(entries[2]!.body).toBe(`${long}\nNext line.`);
  });

  it('refuses the whole file when one entry is bad', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await browser.upload('/account/import', 'file', dayOne([trip, { text: 'x', creationDate: 'last week' }]), 'Journal.json');
    expect(res.status).toBe(400);
    expect(res.text).toContain('entries[1].creationDate');
    expect(await entriesOf(browser)).toEqual([]);
  });
});

describe('errors where the form is (defect 7)', () => {
  it('answers a failed import and a wrong delete password at the form’s anchor, and leads a reload back to /account', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const page = (await browser.get('/account')).text;
    expect(page).toContain('action="/account/import#import"');
    expect(page).toContain('action="/account/delete#delete"');
    const failed = await browser.upload('/account/import', 'file', 'not a journal');
    expect(failed.status).toBe(400);
    expect(failed.text).toMatch(/id="import" data-page-home="\/account#import">[\s\S]*Nothing was imported/);
    const wrong = await browser.post('/account/delete', { current_password: 'not it at all' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toMatch(/id="delete" novalidate data-page-home="\/account#delete">[\s\S]*That is not your current password/);
    for (const path of ['import', 'delete']) {
      const reload = await browser.get(`/account/${path}`);
      expect(reload.status).toBe(303);
      expect(reload.headers.location).toBe(`/account#${path}`);
    }
  });
});
