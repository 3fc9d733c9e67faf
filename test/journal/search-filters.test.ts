// Issue 34 (defect 6 and the search filters): word forms, -word, single CJK characters, and
// from, to, tag and starred on every search route.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Browser, signedInBrowser, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

async function write(browser: Browser, title: string, body: string, extra: Record<string, unknown> = {}) {
  const res = await browser.json('post', '/api/entries', { title, body, ...extra });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function titles(browser: Browser, query: string, path = '/api/entries'): Promise<string[]> {
  const res = await browser.json('get', `${path}?${query}`);
  expect(res.status, `${path}?${query} → ${res.text}`).toBe(200);
  return (res.body.entries as Array<{ title: string }>).map((e) => e.title).sort();
}

const q = (words: string) => `q=${encodeURIComponent(words)}`;
const marks = (html: string) => [...html.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1]);

describe('word forms', () => {
  it('finds other forms of an English word: walking finds walked, gardens finds garden', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, 'Sunday', 'We walked to the garden.');
    await write(browser, 'Monday', 'Rain all day.');
    expect(await titles(browser, q('walking'))).toEqual(['Sunday']);
    expect(await titles(browser, q('gardens'))).toEqual(['Sunday']);
    expect(await titles(browser, q('walks gardens'))).toEqual(['Sunday']);
    // Exact words and prefixes still work as before.
    expect(await titles(browser, q('walked'))).toEqual(['Sunday']);
    expect(await titles(browser, q('gard'))).toEqual(['Sunday']);
    const page = await browser.get(`/journal?${q('walking gardens')}`);
    expect(marks(page.text)).toEqual(['walked', 'garden']);
  });

  it('finds forms in the reader’s own language when PostgreSQL has a dictionary for it', async () => {
    const inGerman = new Browser(setup.t.app, TEST_ORIGIN, { 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.5' });
    const email = uniqueEmail();
    expect((await inGerman.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD })).status).toBe(303);
    await write(inGerman, 'Spaziergang', 'Ein Baum vor dem Haus.');
    expect(await titles(inGerman, q('häuser bäume'))).toEqual(['Spaziergang']);
    const inEnglish = new Browser(setup.t.app);
    expect((await inEnglish.post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
    expect(await titles(inEnglish, q('häuser bäume'))).toEqual([]);
  });
});

describe('-word', () => {
  it('leaves out entries holding a word written with a minus, in any of its forms', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, 'Beach', 'A walk by the sea, then rain.');
    await write(browser, 'Hills', 'A walk in the hills.');
    await write(browser, 'Town', 'Walking in the rainy town.');
    expect(await titles(browser, q('walk -rain'))).toEqual(['Hills']);
    expect(await titles(browser, q('walk -sea -hills'))).toEqual(['Town']);
    // A hyphen inside a word joins it; only a minus at the start of a word leaves out.
    expect(await titles(browser, q('walk'))).toEqual(['Beach', 'Hills', 'Town']);
    const page = await browser.get(`/journal?${q('walk -rain')}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="walk -rain"');
  });

  it('answers 400 with a sentence to a search of excluded words only', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await browser.json('get', `/api/entries?${q('-rain')}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Add a word to find: a word after a minus only leaves entries out.');
    expect((await browser.get(`/journal?${q('-rain -snow')}`)).status).toBe(400);
  });

  it('leaves out CJK words written with a minus', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '京都', '金閣寺を見た。雨だった。');
    await write(browser, '奈良', '金色の大仏を見た。');
    expect(await titles(browser, q('見た -雨'))).toEqual(['奈良']);
    expect(await titles(browser, q('見た -rain'))).toEqual(['京都', '奈良']);
  });
});

describe('single CJK characters', () => {
  it('finds 金 and 閣 inside sentences, at the end of a run, and alone between Latin words', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '京都', '今日は金閣寺へ行った。');
    await write(browser, 'Gold', 'The sign said 金 and nothing more.');
    await write(browser, 'Pavilion', 'We saw the 金閣');
    await write(browser, 'Other', '銀行に行った。');
    expect(await titles(browser, q('金'))).toEqual(['Gold', 'Pavilion', '京都']);
    expect(await titles(browser, q('閣'))).toEqual(['Pavilion', '京都']);
    expect(await titles(browser, q('閣 pavilion'))).toEqual(['Pavilion']);
    expect(await titles(browser, q('閣 saw'))).toEqual(['Pavilion']);
    const page = await browser.get(`/journal?${q('閣')}`);
    expect(marks(page.text)).toContain('閣');
  });
});

describe('search filters', () => {
  async function journal(browser: Browser) {
    await write(browser, 'Spring walk', 'A walk in the park.', { entryDate: '2025-03-10', tags: ['outside'] });
    await write(browser, 'Summer walk', 'A walk by the lake.', { entryDate: '2025-07-01', starred: true });
    await write(browser, 'Autumn walk', 'A walk in the woods.', { entryDate: '2025-10-20', tags: ['outside'], starred: true });
  }

  it('narrows /api/entries?q= and /api/search by from, to, tag and starred', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await journal(browser);
    for (const path of ['/api/entries', '/api/search']) {
      expect(await titles(browser, `${q('walk')}&from=2025-07-01`, path)).toEqual(['Autumn walk', 'Summer walk']);
      expect(await titles(browser, `${q('walk')}&to=2025-07-01`, path)).toEqual(['Spring walk', 'Summer walk']);
      expect(await titles(browser, `${q('walk')}&from=2025-04-01&to=2025-08-01`, path)).toEqual(['Summer walk']);
      expect(await titles(browser, `${q('walk')}&tag=outside`, path)).toEqual(['Autumn walk', 'Spring walk']);
      expect(await titles(browser, `${q('walk')}&starred=1`, path)).toEqual(['Autumn walk', 'Summer walk']);
      expect(await titles(browser, `${q('walk')}&starred=1&tag=outside&to=2025-12-31`, path)).toEqual(['Autumn walk']);
    }
    const res = await browser.json('get', `/api/search?${q('walk')}&tag=outside`);
    expect(res.body).toMatchObject({ total: 2, totalCapped: false });
  });

  it('narrows the search pages, keeps the filters in the form and in the pager', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await journal(browser);
    for (const path of ['/journal', '/search']) {
      const page = await browser.get(`${path}?${q('walk')}&tag=outside&starred=1`);
      expect(page.status).toBe(200);
      expect([...page.text.matchAll(/class="entry-title"[^>]*>(.*?)<\/a>/g)].map((m) => m[1]!.replace(/<\/?mark>/g, ''))).toEqual([
        'Autumn walk',
      ]);
      expect(page.text).toContain('<details class="search-filters" open>');
      expect(page.text).toContain('name="tag" value="outside"');
      expect(page.text).toMatch(/id="search-starred" name="starred" value="1" checked/);
    }
  });

  it('narrows CJK searches too', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '春', '金閣寺を見た。', { entryDate: '2025-03-01' });
    await write(browser, '秋', '金閣寺を見た。', { entryDate: '2025-10-01', starred: true });
    expect(await titles(browser, `${q('金閣')}&from=2025-06-01`)).toEqual(['秋']);
    expect(await titles(browser, `${q('金')}&starred=1`)).toEqual(['秋']);
  });

  it('answers 400 with a sentence to a filter that is not one', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const [query, message] of [
      ['from=2025-02-30', 'The from must be a day written YYYY-MM-DD'],
      ['to=tomorrow', 'The to must be a day written YYYY-MM-DD'],
      ['from=2025-05-01&to=2025-04-01', 'The last day comes before the first'],
      ['tag=two%20words', 'A tag is one word'],
      ['starred=yes', 'Write starred=1'],
    ] as const) {
      for (const path of ['/api/entries', '/api/search']) {
        const res = await browser.json('get', `${path}?${q('walk')}&${query}`);
        expect(res.status, `${path} ${query}`).toBe(400);
        expect(res.body.message).toContain(message);
      }
      expect((await browser.get(`/search?${q('walk')}&${query}`)).status).toBe(400);
    }
  });

  it('keeps /search and /api/search to the signed-in writer', async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    await write(owner, 'Mine', 'A walk.');
    expect(await titles(other, q('walk'), '/api/search')).toEqual([]);
    expect((await request(setup.t.app).get(`/api/search?${q('walk')}`)).status).toBe(401);
    expect((await request(setup.t.app).get(`/search?${q('walk')}`)).status).toBe(303);
  });
});
