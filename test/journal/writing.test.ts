// DESIGN §15 through HTTP: Markdown, dates in the writer's zone, tags, the timeline, "On this day".
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../src/journal/entries.js';
import { type Browser, signedInBrowser, TEST_PASSWORD, uniqueEmail, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();

async function writer(timeZone?: string): Promise<Browser> {
  const { browser } = await signedInBrowser(setup.t.app);
  if (timeZone) expect((await browser.json('put', '/api/account/time-zone', { timeZone })).status).toBe(204);
  return browser;
}

describe('Markdown bodies', () => {
  it('renders **b** as <strong> and lists, and keeps the editor text as typed', async () => {
    const browser = await writer();
    const id = await writeEntry(browser, 'Marked', '**bold** and _soft_\n\n- one\n- two\n\n# A heading');
    const page = (await browser.get(`/journal/${id}`)).text;
    expect(page).toContain('<strong>bold</strong> and <em>soft</em>');
    expect(page).toContain('<li>one</li>');
    // The entry's title is the page's h1; the body's "#" heading comes below it.
    expect(page).toContain('<h2>A heading</h2>');
    expect((await browser.get(`/journal/${id}/edit`)).text).toContain('**bold** and _soft_');
  });

  it('never lets <script>, raw HTML or a javascript: link reach the page', async () => {
    const browser = await writer();
    const body = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(2)>',
      '[click](javascript:alert(3))',
      '[data](data:text/html;base64,PHNjcmlwdD4=)',
      '[vb](vbscript:msgbox)',
      '<a href="javascript:alert(4)">raw</a>',
      '[ok](https://example.com/a?b=1) and mailto:ann@example.com',
    ].join('\n\n');
    const id = await writeEntry(browser, 'Hostile <b>title</b>', body);
    const page = (await browser.get(`/journal/${id}`)).text;
    expect(page).not.toMatch(/<script>alert|<img|href="javascript:|href="data:|href="vbscript:|<[^>]+onerror=/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('Hostile &lt;b&gt;title&lt;/b&gt;');
    expect(page).toContain('<a href="https://example.com/a?b=1" rel="noopener nofollow">ok</a>');
    expect(page).toContain('<a href="mailto:ann@example.com" rel="noopener nofollow">');
    expect(page.match(/<a href="[^"]*" rel="noopener nofollow"/g)).toHaveLength(2);
  });

  it('cuts the list excerpt on a grapheme boundary: no half emoji (defect 3)', async () => {
    const browser = await writer();
    await writeEntry(browser, 'Emoji', `${'a'.repeat(219)}😀👩‍👩‍👧 and more after`);
    const list = (await browser.get('/journal')).text;
    expect(list).not.toContain('\uFFFD');
    const excerpt = /<p class="excerpt">([^<]*)<\/p>/.exec(list)![1]!;
    expect(excerpt).toBe(`${'a'.repeat(219)}😀…`);
    expect(encodeURIComponent(excerpt)).toBeTruthy(); // throws on a lone surrogate
  });

  it('shows Markdown as plain words in the excerpt', async () => {
    const browser = await writer();
    await writeEntry(browser, 'Plain', '## Walk\n\n**Rain** on the [river](https://example.com).');
    expect((await browser.get('/journal')).text).toContain('<p class="excerpt">Walk Rain on the river.</p>');
  });
});

describe('entry dates and the writer’s time zone', () => {
  it('dates a new entry today in the writer’s zone, and lets the writer change it', async () => {
    // 19:00 UTC on 4 March is 00:30 on 5 March in Kolkata.
    setup.t.clock.advance((Date.parse('2031-03-04T19:00:00Z') - setup.t.clock.now()) / 1000);
    const browser = await writer('Asia/Kolkata');
    expect((await browser.get('/journal/new')).text).toContain('name="entry_date" type="date" value="2031-03-05"');
    const created = await browser.json('post', '/api/entries', { title: 'Late', body: 'After midnight.' });
    expect(created.body.entryDate).toBe('2031-03-05');
    const moved = await browser.json('put', `/api/entries/${created.body.id}`, { title: 'Late', body: 'x', entryDate: '2030-12-31' });
    expect(moved.body.entryDate).toBe('2030-12-31');
    const kept = await browser.json('put', `/api/entries/${created.body.id}`, { title: 'Late', body: 'y' });
    expect(kept.body.entryDate).toBe('2030-12-31');
    const form = await browser.post(`/journal/${created.body.id}`, { title: 'Late', body: 'z', entry_date: '2031-01-02', tags: '' });
    expect(form.status).toBe(303);
    expect((await browser.json('get', `/api/entries/${created.body.id}`)).body.entryDate).toBe('2031-01-02');
  });

  it('refuses a day that is not one, with a field message, and writes nothing', async () => {
    const browser = await writer();
    for (const entryDate of ['2025-02-30', '5 March', '0000-01-01', '2025-1-5', 20250305]) {
      const res = await browser.json('post', '/api/entries', { title: 'x', body: 'y', entryDate });
      expect(res.status, String(entryDate)).toBe(400);
      expect(res.body.fields.entry_date).toContain('YYYY-MM-DD');
    }
    const form = await browser.post('/journal', { title: 'x', body: 'keep me', entry_date: '2025-13-01' });
    expect(form.status).toBe(400);
    expect(form.text).toContain('keep me');
    expect((await browser.json('get', '/api/entries')).body.total).toBe(0);
  });

  it('shows search results and the Markdown export in the writer’s local dates, and pages without JavaScript too (defect 1)', async () => {
    setup.t.clock.advance((Date.parse('2032-03-04T19:00:00Z') - setup.t.clock.now()) / 1000);
    const browser = await writer('Asia/Kolkata');
    const id = await writeEntry(browser, 'Kolkata night', 'Fireflies by the tank.');
    const search = (await browser.get('/journal?q=fireflies')).text;
    expect(search).toContain('Friday, 5 March 2032');
    expect(search).not.toContain('4 March');
    const shown = (await browser.get(`/journal/${id}`)).text;
    expect(shown).toContain('Fri, 5 Mar 2032, 00:30');
    const markdown = (await browser.get('/account/export?format=markdown')).text;
    expect(markdown).toContain('_Friday, 5 March 2032 · written Fri, 5 Mar 2032, 00:30_');
    expect(markdown).toContain('(Asia/Kolkata)');
    expect((await browser.get('/account')).text).toMatch(/Fri, 5 Mar 2032, 00:\d\d/);
  });

  it('saves the zone the sign-in and registration forms send, and ignores one that is no zone', async () => {
    const email = uniqueEmail('zone');
    const { Browser } = await import('../helpers/app.js');
    const browser = new Browser(setup.t.app);
    await browser.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD, time_zone: 'America/Sao_Paulo' });
    const zone = async () =>
      (await setup.db.query<{ z: string }>('SELECT time_zone AS z FROM users WHERE lower(email) = lower($1)', [email])).rows[0]!.z;
    expect(await zone()).toBe('America/Sao_Paulo');
    await browser.post('/login', { email, password: TEST_PASSWORD, time_zone: 'Europe/Berlin' });
    expect(await zone()).toBe('Europe/Berlin');
    await browser.post('/login', { email, password: TEST_PASSWORD, time_zone: "'; DROP TABLE users; --" });
    expect(await zone()).toBe('Europe/Berlin');
    for (const timeZone of ['Mars/Olympus', '+05:30', '', 42]) {
      const res = await browser.json('put', '/api/account/time-zone', { timeZone });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('IANA');
    }
    expect(await zone()).toBe('Europe/Berlin');
  });
});

describe('tags', () => {
  it('takes tags from the field and #word in the text, lowercase, shown as links', async () => {
    const browser = await writer();
    const res = await browser.json('post', '/api/entries', {
      title: 'Walk',
      body: 'By the #River, #river and #Birds. Room #1.',
      tags: ['Work', 'family'],
    });
    expect(res.status).toBe(201);
    expect(res.body.tags).toEqual(['work', 'family', 'river', 'birds']);
    const page = (await browser.get(`/journal/${res.body.id}`)).text;
    expect(page).toContain('<a href="/journal?tag=river">#river</a>');
    // The tags field shows only the typed ones; #words stay in the text.
    expect((await browser.get(`/journal/${res.body.id}/edit`)).text).toContain('name="tags" type="text" value="work family"');
  });

  it('filters the list and the API by tag, leaving other writers’ entries out', async () => {
    const ann = await writer();
    const bob = await writer();
    await writeEntry(ann, 'One', 'a #garden day');
    await writeEntry(ann, 'Two', 'no tag');
    await writeEntry(bob, 'Bob', 'his #garden');
    const api = await ann.json('get', '/api/entries?tag=Garden');
    expect(api.body.entries.map((e: { title: string }) => e.title)).toEqual(['One']);
    expect(api.body.total).toBe(1);
    const page = (await ann.get('/journal?tag=garden')).text;
    expect(page).toContain('1 entry tagged #garden');
    expect(page).toContain('>One<');
    expect(page).not.toContain('>Two<');
    expect((await ann.get('/journal?tag=a%20b')).status).toBe(400);
    expect((await ann.json('get', '/api/entries?tag=%3Cscript%3E')).status).toBe(400);
  });

  it('refuses a tag that is not a word with a field message', async () => {
    const browser = await writer();
    const res = await browser.json('post', '/api/entries', { title: 'x', body: 'y', tags: ['two words'] });
    expect(res.status).toBe(400);
    expect(res.body.fields.tags).toContain('one word');
    expect((await browser.json('post', '/api/entries', { title: 'x', body: 'y', tags: 'notalist' })).status).toBe(201);
    expect((await browser.json('post', '/api/entries', { title: 'x', body: 'y', tags: [1] })).status).toBe(400);
  });
});

describe('the timeline and On this day', () => {
  it('lists months with counts, newest first, and filters by ?month=', async () => {
    const browser = await writer();
    for (const [title, entryDate] of [
      ['March a', '2024-03-02'],
      ['March b', '2024-03-30'],
      ['April', '2024-04-01'],
      ['Last year', '2023-12-31'],
    ]) {
      expect((await browser.json('post', '/api/entries', { title, body: 'x', entryDate })).status).toBe(201);
    }
    const page = (await browser.get('/journal')).text;
    const months = [...page.matchAll(/href="\/journal\?month=(\d{4}-\d{2})"[^>]*>([^<]+)<\/a> <span class="count">\((\d+)\)/g)].map((m) => [
      m[1],
      m[3],
    ]);
    expect(months).toEqual([
      ['2024-04', '1'],
      ['2024-03', '2'],
      ['2023-12', '1'],
    ]);
    const march = (await browser.get('/journal?month=2024-03')).text;
    expect(march).toContain('2 entries in March 2024');
    expect(march).toContain('>March b<');
    expect(march).not.toContain('>April<');
    expect(march.indexOf('>March b<')).toBeLessThan(march.indexOf('>March a<'));
    const api = await browser.json('get', '/api/entries?month=2023-12');
    expect(api.body.entries.map((e: { title: string }) => e.title)).toEqual(['Last year']);
    for (const bad of ['2024-13', '24-03', '2024-3', 'March']) expect((await browser.get(`/journal?month=${bad}`)).status).toBe(400);
  });

  it('shows On this day: the same day in earlier years, not this year’s, not other days', async () => {
    setup.t.clock.advance((Date.parse('2033-07-14T10:00:00Z') - setup.t.clock.now()) / 1000);
    const browser = await writer();
    for (const [title, entryDate] of [
      ['Two years ago', '2031-07-14'],
      ['Last year', '2032-07-14'],
      ['Today', '2033-07-14'],
      ['Day before', '2032-07-13'],
    ]) {
      await browser.json('post', '/api/entries', { title, body: 'x', entryDate });
    }
    const page = (await browser.get('/journal')).text;
    const section = page.slice(page.indexOf('On this day'), page.indexOf('</section>', page.indexOf('On this day')));
    expect([...section.matchAll(/class="entry-title"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['Last year', 'Two years ago']);
  });

  it('says so when a page is past the end, with a link to the last page (defect 8)', async () => {
    const browser = await writer();
    for (let i = 0; i < PAGE_SIZE + 2; i++) await browser.json('post', '/api/entries', { title: `E${i}`, body: 'x' });
    const page = (await browser.get('/journal?page=99')).text;
    expect(page).not.toContain('No entries yet');
    expect(page).toContain('There is no page 99: this list has 2 pages.');
    expect(page).toContain('href="/journal?page=2"');
  });
});
