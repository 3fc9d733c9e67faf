// Issue 34: the calendar of a year, the day filter it links to, the short timeline and the streak.
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { type Browser, signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();
const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

/** Moves the shared clock to `iso`; every test sets its own "now". */
function at(iso: string) {
  setup.t.clock.advance((Date.parse(iso) - setup.t.clock.now()) / 1000);
}

async function write(browser: Browser, entryDate: string, body = 'x', title = entryDate) {
  const res = await browser.json('post', '/api/entries', { title, body, entryDate });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function inZone(browser: Browser, timeZone: string) {
  expect((await browser.json('put', '/api/account/time-zone', { timeZone })).status).toBe(204);
}

const dayLinks = (html: string) =>
  [
    ...html.matchAll(/<a class="heat-(\d)" href="\/journal\?day=(\d{4}-\d{2}-\d{2})">(\d+)<span class="visually-hidden"> ([^<]+)<\/span>/g),
  ].map((m) => ({ level: Number(m[1]), day: m[2], label: `${m[3]} ${m[4]}` }));

describe('the calendar', () => {
  it('shows a year as twelve month grids, each written day linking to its entries and shaded by how much was written', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '2025-03-05', 'short');
    await write(browser, '2025-03-05', 'a'.repeat(2000));
    await write(browser, '2025-12-31', 'b'.repeat(5000));
    await write(browser, '2024-12-31', 'last year');
    const trashed = await write(browser, '2025-07-01', 'gone');
    await browser.json('delete', `/api/entries/${trashed}`);

    const res = await browser.get('/journal/calendar?year=2025');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Calendar 2025</h1>');
    expect([...res.text.matchAll(/<caption>([^<]+)<\/caption>/g)].map((m) => m[1])).toEqual(
      ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'].map(
        (month) => `${month} 2025`,
      ),
    );
    expect(dayLinks(res.text)).toEqual([
      { level: 3, day: '2025-03-05', label: '5 March 2025: 2 entries, 2,025 characters' },
      { level: 4, day: '2025-12-31', label: '31 December 2025: 1 entry, 5,010 characters' },
    ]);
    expect(res.text).toContain('3 entries on 2 days, 7,035 characters.');
    // 1 March 2025 was a Saturday: five empty cells, then the 1st, in a Monday-first week.
    const march = res.text.slice(res.text.indexOf('March 2025</caption>'));
    expect(march.slice(march.indexOf('<tbody>'))).toMatch(/^<tbody>\s*<tr>(<td><\/td>){5}<td>1<\/td><td>2<\/td><\/tr>/);
    expect(res.text).toContain('href="/journal/calendar?year=2024" rel="prev"');
    expect(res.text).not.toContain('rel="next"');
  });

  it('shows this year in the writer’s zone when no year is named, with today marked', async () => {
    at('2030-12-31T20:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    await inZone(browser, 'Asia/Tokyo');
    const res = await browser.get('/journal/calendar');
    expect(res.status).toBe(200);
    // Already 1 January 2031 in Tokyo.
    expect(res.text).toContain('<h1>Calendar 2031</h1>');
    expect(res.text).toContain('<td class="today" aria-current="date">1</td>');
  });

  it('answers 400 with a sentence for a year that is not four digits', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const bad of ['25', '20255', 'next', '0000', '-2025']) {
      const res = await browser.get(`/journal/calendar?year=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.text).toContain('The year must be written with four digits, such as 2025.');
    }
  });

  it('shows only the writer’s own days', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    await write(owner, '2025-03-05');
    expect(dayLinks((await other.get('/journal/calendar?year=2025')).text)).toEqual([]);
    expect((await other.get('/journal/calendar?year=2025')).text).toContain('Nothing written in 2025.');
  });
});

describe('the day filter', () => {
  it('lists one day’s entries at /journal?day= and GET /api/entries?day=, and refuses a day that is not one', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '2025-03-05', 'x', 'Morning');
    setup.t.clock.advance(60);
    await write(browser, '2025-03-05', 'x', 'Evening');
    await write(browser, '2025-03-06', 'x', 'Next day');
    const page = await browser.get('/journal?day=2025-03-05');
    expect(page.status).toBe(200);
    expect([...page.text.matchAll(/class="entry-title"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['Evening', 'Morning']);
    expect(page.text).toContain('2 entries on Wednesday, 5 March 2025.');
    const api = await browser.json('get', '/api/entries?day=2025-03-06');
    expect(api.body).toMatchObject({ total: 1, entries: [{ title: 'Next day' }] });
    for (const bad of ['2025-02-30', '2025-3-5', 'today']) {
      const res = await browser.get(`/journal?day=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.text).toContain('The day must be a day written YYYY-MM-DD');
    }
  });
});

describe('the timeline and the streak on /journal', () => {
  it('keeps the timeline short, at the top, linking to the calendar', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    for (let m = 1; m <= 12; m++) await write(browser, `2024-${String(m).padStart(2, '0')}-10`);
    const page = (await browser.get('/journal')).text;
    const months = [...page.matchAll(/href="\/journal\?month=(\d{4}-\d{2})"/g)].map((m) => m[1]);
    expect(months).toEqual(['2024-12', '2024-11', '2024-10', '2024-09']);
    expect(page).toContain('<a href="/journal/calendar">Calendar</a> (all 12 months)');
    expect(page.indexOf('class="timeline"')).toBeLessThan(page.indexOf('class="entries"'));
  });

  it('counts the days in a row ending today, in the writer’s zone', async () => {
    at('2025-06-15T23:30:00Z'); // 16 June in Kolkata
    const { browser } = await signedInBrowser(setup.t.app);
    await inZone(browser, 'Asia/Kolkata');
    for (const day of ['2025-06-16', '2025-06-15', '2025-06-15', '2025-06-14', '2025-06-12']) await write(browser, day);
    expect((await browser.get('/journal')).text).toContain('<p class="streak"><strong>3 days</strong> in a row</p>');
  });

  it('counts a streak ending yesterday, and none when the last entry is older', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '2025-06-14');
    await write(browser, '2025-06-13');
    expect((await browser.get('/journal')).text).toContain('<strong>2 days</strong> in a row');
    at('2025-06-16T12:00:00Z');
    expect((await browser.get('/journal')).text).not.toContain('class="streak"');
  });

  it('leaves trashed entries out of the streak', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    await write(browser, '2025-06-15');
    const id = await write(browser, '2025-06-14');
    await write(browser, '2025-06-13');
    expect((await browser.get('/journal')).text).toContain('<strong>3 days</strong> in a row');
    await browser.json('delete', `/api/entries/${id}`);
    expect((await browser.get('/journal')).text).toContain('<strong>1 day</strong> in a row');
  });

  it('counts a streak longer than a year, across leap days, and stops at the first gap', async () => {
    at('2025-06-15T12:00:00Z');
    const { browser } = await signedInBrowser(setup.t.app);
    // 1,000 days in a row up to today, two entries on some, then a gap, then more days.
    await setup.db.query(
      `INSERT INTO entries (user_id, title, body, entry_date)
       SELECT $1::uuid, 'Day', 'x', date '2025-06-15' - g FROM generate_series(0, 999) g
       UNION ALL SELECT $1::uuid, 'Again', 'x', date '2025-06-15' - g FROM generate_series(0, 999, 3) g
       UNION ALL SELECT $1::uuid, 'Before the gap', 'x', date '2025-06-15' - g FROM generate_series(1001, 1100) g`,
      [userIdOf(browser)],
    );
    expect((await browser.get('/journal')).text).toContain('<strong>1000 days</strong> in a row');
  });
});
