import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { SEARCH_MAX_CANDIDATES } from '../../src/journal/search.js';
import { type Browser, signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();
const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

describe('search on a big journal stays bounded', () => {
  it('ranks only the newest 1,000 matches and says there may be more', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await setup.db.query(
      `INSERT INTO entries (user_id, title, body, created_at, updated_at)
       SELECT $1, 'Day ' || g, 'an apple a day', now() - g * interval '1 minute', now() - g * interval '1 minute'
         FROM generate_series(1, $2::int) g`,
      [userIdOf(browser), SEARCH_MAX_CANDIDATES + 5],
    );
    const res = await browser.json('get', '/api/entries?q=apple');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: SEARCH_MAX_CANDIDATES, totalCapped: true });
    expect(res.body.entries[0].title).toBe('Day 1');
    const last = await browser.json('get', `/api/entries?q=apple&page=${SEARCH_MAX_CANDIDATES / 20 + 1}`);
    expect(last.body).toMatchObject({ entries: [], total: SEARCH_MAX_CANDIDATES, totalCapped: true });
    const page = await browser.get('/journal?q=apple');
    expect(page.text).toContain('At least 1,000 entries hold every word');
  });

  it('matches one letter of a cased alphabet as a whole word only, and a longer word as a prefix', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(browser, 'Plan A', 'a plan');
    await writeEntry(browser, 'Apples', 'and more apples');
    await writeEntry(browser, '東京', '東京の川');
    const titles = async (q: string) =>
      ((await browser.json('get', `/api/entries?q=${encodeURIComponent(q)}`)).body.entries as Array<{ title: string }>).map((e) => e.title);
    expect(await titles('a')).toEqual(['Plan A']);
    expect(await titles('ap')).toEqual(['Apples']);
    expect(await titles('東')).toEqual(['東京']);
    const few = await browser.json('get', '/api/entries?q=plan');
    expect(few.body).toMatchObject({ total: 1, totalCapped: false });
  });
});
