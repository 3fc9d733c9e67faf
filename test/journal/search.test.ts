import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../src/journal/entries.js';
import { SEARCH_MAX_CHARS, SEARCH_MAX_WORDS } from '../../src/journal/search.js';
import { type Browser, signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';
import { percentEncode } from '../helpers/raw-http.js';

const setup = useTestApp();

async function writer(): Promise<Browser> {
  return (await signedInBrowser(setup.t.app)).browser;
}

function search(browser: Browser, q: string, page?: number) {
  return browser.json('get', `/api/entries?q=${percentEncode(q)}${page ? `&page=${page}` : ''}`);
}

async function foundTitles(browser: Browser, q: string): Promise<string[]> {
  const res = await search(browser, q);
  expect(res.status, `${q} → ${res.status} ${res.text}`).toBe(200);
  return (res.body.entries as { title: string }[]).map((entry) => entry.title).sort();
}

describe('GET /api/entries?q= (search)', () => {
  it('finds only the entries holding every word, in the title or the body', async () => {
    const browser = await writer();
    await writeEntry(browser, 'River day', 'We had a picnic.');
    await writeEntry(browser, 'Sunday', 'A picnic by the river.');
    await writeEntry(browser, 'River', 'Swimming, no food.');
    await writeEntry(browser, 'Picnic', 'Sandwiches in the garden.');

    expect(await foundTitles(browser, 'river picnic')).toEqual(['River day', 'Sunday']);
    expect(await foundTitles(browser, 'picnic')).toEqual(['Picnic', 'River day', 'Sunday']);
    expect(await foundTitles(browser, 'river picnic garden')).toEqual([]);
  });

  it('matches words by their beginning, whatever their case and accents, in any script', async () => {
    const browser = await writer();
    await writeEntry(browser, 'Café in Zürich', 'Crème brûlée by the RIVERSIDE, then Straße and Ærø.');
    await writeEntry(browser, 'Plain cafe', 'No accents here.');
    await writeEntry(browser, 'नदी किनारे', 'Москва, θάλασσα, 東京.');

    expect(await foundTitles(browser, 'cafe')).toEqual(['Café in Zürich', 'Plain cafe']);
    expect(await foundTitles(browser, 'CAFÉ')).toEqual(['Café in Zürich', 'Plain cafe']);
    expect(await foundTitles(browser, 'cafe\u0301')).toEqual(['Café in Zürich', 'Plain cafe']); // decomposed é
    for (const q of ['zurich', 'creme brulee', 'riv', 'Riverside', 'strasse', 'aero']) {
      expect(await foundTitles(browser, q), q).toEqual(['Café in Zürich']);
    }
    for (const q of ['नदी', 'москва', 'ΘΑΛΑΣΣΑ', 'θαλ', '東']) expect(await foundTitles(browser, q), q).toEqual(['नदी किनारे']);
    // A prefix of a word, not any part of it, and not a longer word.
    expect(await foundTitles(browser, 'afe')).toEqual([]);
    expect(await foundTitles(browser, 'cafeteria')).toEqual([]);
  });

  it('ranks entries with the words in their title first, then the newest first', async () => {
    const browser = await writer();
    await writeEntry(browser, 'The lake', 'Cold water.');
    await writeEntry(browser, 'Thursday', 'We walked to the lake.');
    setup.t.clock.advance(60);
    await writeEntry(browser, 'Friday', 'We walked to the lake.');
    setup.t.clock.advance(60);
    await writeEntry(browser, 'Saturday', 'We walked to the lake.');
    const res = await search(browser, 'lake');
    expect(res.body.entries.map((e: { title: string }) => e.title)).toEqual(['The lake', 'Saturday', 'Friday', 'Thursday']);
  });

  it("never shows another user's entries, even with the same words", async () => {
    const owner = await writer();
    const other = await writer();
    await writeEntry(owner, 'Secret orchard', 'Only mine.');
    await writeEntry(other, 'Orchard', 'Theirs.');
    expect(await foundTitles(owner, 'orchard')).toEqual(['Secret orchard']);
    expect(await foundTitles(other, 'orchard')).toEqual(['Orchard']);
    expect(await foundTitles(other, 'secret')).toEqual([]);
    expect((await search(other, 'orchard')).body.total).toBe(1);
  });

  it('pages through the results as the list does', async () => {
    const browser = await writer();
    for (let i = 1; i <= PAGE_SIZE + 5; i++) await writeEntry(browser, `Walk ${i}`, 'Along the harbour.');
    await writeEntry(browser, 'Elsewhere', 'Inland.');
    const first = await search(browser, 'harbour');
    const second = await search(browser, 'harbour', 2);
    expect(first.body).toMatchObject({ page: 1, pageSize: PAGE_SIZE, total: PAGE_SIZE + 5 });
    expect(second.body).toMatchObject({ page: 2, pageSize: PAGE_SIZE, total: PAGE_SIZE + 5 });
    expect(first.body.entries).toHaveLength(PAGE_SIZE);
    expect(second.body.entries).toHaveLength(5);
    const ids = [...first.body.entries, ...second.body.entries].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(PAGE_SIZE + 5);
    const beyond = await search(browser, 'harbour', 3);
    expect(beyond.body).toMatchObject({ entries: [], page: 3, total: PAGE_SIZE + 5 });
    expect((await browser.json('get', '/api/entries?q=harbour&page=0')).status).toBe(400);
  });

  it('follows edits: the index is kept current by the database', async () => {
    const browser = await writer();
    const id = await writeEntry(browser, 'Morning', 'A heron on the river.');
    expect(await foundTitles(browser, 'heron')).toEqual(['Morning']);
    expect((await browser.json('put', `/api/entries/${id}`, { title: 'Morning', body: 'A kingfisher.' })).status).toBe(200);
    expect(await foundTitles(browser, 'heron')).toEqual([]);
    expect(await foundTitles(browser, 'kingfisher')).toEqual(['Morning']);
    expect((await browser.json('delete', `/api/entries/${id}`)).status).toBe(204);
    expect(await foundTitles(browser, 'kingfisher')).toEqual([]);
  });

  it('adds a plain-text excerpt around the words found', async () => {
    const browser = await writer();
    const filler = 'and then we walked on for a while '.repeat(20);
    await writeEntry(browser, 'Long day', `${filler}until we found the old mill by the water. ${filler}`);
    const [entry] = (await search(browser, 'mill')).body.entries;
    expect(entry.excerpt).toContain('old mill by the water');
    expect(entry.excerpt.length).toBeLessThan(400);
    expect(entry.body).toContain(entry.excerpt.trim().split(' … ')[0]);
  });
});

// Text that means something to tsquery, SQL, HTML or the URL, and text with no words at all.
const NASTY_QUERIES = [
  "'",
  "''",
  '"',
  '\\',
  "\\'",
  '&',
  '|',
  '!',
  '!!',
  ':*',
  'riv:*',
  "'riv':*",
  'riv:A*',
  'river & !picnic',
  'river | picnic',
  '(river',
  'river)',
  '()',
  '<->',
  'river <-> picnic',
  'river <2> picnic',
  "' OR 1=1 --",
  "'; DROP TABLE entries; --",
  '$1',
  '%',
  '_',
  '*',
  '\u0000',
  'river\u0000',
  '\u0002river\u0003',
  '🎉🌊',
  'river🎉',
  '\u0301',
  '½ ²',
  '\u200f',
  'a'.repeat(SEARCH_MAX_CHARS),
  'é'.repeat(SEARCH_MAX_CHARS),
  Array.from({ length: SEARCH_MAX_WORDS }, (_, i) => `w${i}`).join(' '),
];

describe('any query text is safe', () => {
  it('answers 200 to every nasty query, searching only its words', async () => {
    const browser = await writer();
    await writeEntry(browser, 'River picnic', 'Riverside, with bread.');
    for (const q of NASTY_QUERIES) {
      const api = await search(browser, q);
      expect(api.status, `API ${JSON.stringify(q)} → ${api.text}`).toBe(200);
      expect(Array.isArray(api.body.entries)).toBe(true);
      const page = await browser.get(`/journal?q=${percentEncode(q)}`);
      expect(page.status, `page ${JSON.stringify(q)}`).toBe(200);
    }
    // Operators and quotes are not syntax: these are the words "riv" and "river picnic".
    expect(await foundTitles(browser, 'riv:*')).toEqual(['River picnic']);
    expect(await foundTitles(browser, "'riv':*")).toEqual(['River picnic']);
    expect(await foundTitles(browser, 'river & !picnic')).toEqual(['River picnic']);
    expect(await foundTitles(browser, 'river | nothing')).toEqual([]);
  });

  it('answers 400 with a sentence to an over-long query or too many words, and to several q', async () => {
    const browser = await writer();
    const tooMany = Array.from({ length: SEARCH_MAX_WORDS + 1 }, (_, i) => `w${i}`).join(' ');
    for (const q of ['x'.repeat(2000), `${'word '.repeat(400)}`, tooMany]) {
      const res = await search(browser, q);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('search_invalid');
      expect(res.body.message).toMatch(/characters|words/);
      expect(res.body.fields.q).toBe(res.body.message);
    }
    const twice = await browser.json('get', '/api/entries?q=a&q=b');
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe('Search for one piece of text.');
  });

  it('never answers a 5xx, whatever the query (fuzzed)', async () => {
    const browser = await writer();
    await writeEntry(browser, 'Fuzz', "River's edge: 'quotes', \\back\\slashes, & | ! ( ) :* <-> 🎉");
    const special = fc.string({ unit: fc.constantFrom(...'\'"\\&|!():*<->%_ \u0000\u0002\u0003🎉éa1'), maxLength: 40 });
    const query = fc.oneof(special, fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 300 }));
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const res = await search(browser, q);
        expect(res.status, `${JSON.stringify(q)} → ${res.status} ${res.text.slice(0, 200)}`).toBeOneOf([200, 400]);
        if (res.status === 400) expect(res.body.message).toEqual(expect.any(String));
      }),
      { numRuns: 150 },
    );
  });
});
