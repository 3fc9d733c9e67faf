import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../src/journal/entries.js';
import { Browser, signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();

async function writer(): Promise<Browser> {
  return (await signedInBrowser(setup.t.app)).browser;
}

const marks = (html: string) => [...html.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1]);

describe('the search page (GET /journal?q=), without JavaScript', () => {
  it('has a search box on the journal page: a plain GET form', async () => {
    const browser = await writer();
    const page = await browser.get('/journal');
    expect(page.text).toMatch(/<form class="search" method="get" action="\/journal" role="search">/);
    expect(page.text).toMatch(/<input type="search" id="search-q" name="q" value=""/);
  });

  it('lists the entries found, linked, with the words marked and the query kept in the box', async () => {
    const browser = await writer();
    const id = await writeEntry(browser, 'Day at the river', 'We had a picnic on the riverbank, then rain.');
    await writeEntry(browser, 'Office', 'Meetings.');
    const page = await browser.get('/journal?q=river+picnic');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`href="/journal/${id}"`);
    expect(page.text).not.toContain('Meetings.');
    expect(page.text).toContain('value="river picnic"');
    expect(marks(page.text)).toEqual(['river', 'picnic', 'riverbank']);
    expect(page.text).toContain('1 entry holds every word');
  });

  it('says so when nothing matches, and when the query has no words', async () => {
    const browser = await writer();
    await writeEntry(browser, 'Something', 'Else.');
    expect((await browser.get('/journal?q=zeppelin')).text).toContain('No entry holds every one of these words: zeppelin.');
    expect((await browser.get('/journal?q=%26%26%20%7C')).text).toContain('Search by words: letters and digits.');
  });

  it('pages through results with the query kept in the links', async () => {
    const browser = await writer();
    for (let i = 1; i <= PAGE_SIZE + 2; i++) await writeEntry(browser, `Swim ${i}`, 'In the lake & the sea.');
    const first = await browser.get('/journal?q=lake%20%26%20sea');
    const next = /href="(\/journal\?q=[^"]+)" rel="next"/.exec(first.text)?.[1];
    expect(next).toBe('/journal?q=lake%20%26%20sea&amp;page=2');
    const second = await browser.get(next!.replace('&amp;', '&'));
    expect(second.status).toBe(200);
    expect(second.text).toContain('Page 2 of 2');
    expect(marks(second.text).filter((m) => m === 'lake')).toHaveLength(2);
  });

  it('marks words without letting an entry inject HTML', async () => {
    const browser = await writer();
    const title = '<img src=x onerror=alert(1)> river';
    const body =
      'Dear diary, <script>alert("x")</script> by the river, <b>bold</b> & "quoted" \u0002fake\u0003 <mark>not ours</mark> the end';
    await writeEntry(browser, title, body);
    const page = await browser.get('/journal?q=river');
    expect(page.text).not.toMatch(/<script>alert|<img src=x|<b>bold/);
    expect(page.text).toContain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; by the <mark>river</mark>, &lt;b&gt;bold&lt;/b&gt; &amp;');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt; <mark>river</mark>');
    expect(page.text).toContain('&lt;mark&gt;not ours&lt;/mark&gt;');
    expect(marks(page.text)).toEqual(['river', 'river']);
    expect(page.text.includes('\u0002') || page.text.includes('\u0003')).toBe(false);

    // The API's excerpt is the text as written (less the two control characters), never HTML-escaped.
    const api = await browser.json('get', '/api/entries?q=river');
    expect(api.body.entries[0].excerpt).toBe(body.replaceAll('\u0002', '').replaceAll('\u0003', ''));
  });

  it('answers 400 to an over-long query with the box to fix it, and lists the journal for a blank one', async () => {
    const browser = await writer();
    await writeEntry(browser, 'Kept', 'Here.');
    const long = await browser.get(`/journal?q=${'x'.repeat(2000)}`);
    expect(long.status).toBe(400);
    expect(long.text).toContain('Keep the search under 200 characters.');
    expect(long.text).toContain('name="q"');
    const blank = await browser.get('/journal?q=+');
    expect(blank.status).toBe(200);
    expect(blank.text).toContain('1 entry, newest first.');
  });

  it('sends a signed-out visitor to sign in, keeping the search as next', async () => {
    const res = await new Browser(setup.t.app).get('/journal?q=river');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent('/journal?q=river')}`);
  });
});
