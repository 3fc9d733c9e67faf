// Defect 9 of issue 23: CJK words inside sentences (no spaces between words) are found too.
import { describe, expect, it } from 'vitest';
import { type Browser, signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();

async function titles(browser: Browser, q: string): Promise<string[]> {
  const res = await browser.json('get', `/api/entries?q=${encodeURIComponent(q)}`);
  expect(res.status).toBe(200);
  return res.body.entries.map((e: { title: string }) => e.title);
}

describe('CJK search', () => {
  it('finds 日記 inside a Japanese sentence, not only the sentence’s first word', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(browser, '火曜日', '今日は日本語で日記を書きました。');
    await writeEntry(browser, 'Other', '日本の記録。');
    expect(await titles(browser, '日本語')).toEqual(['火曜日']);
    expect(await titles(browser, '日記')).toEqual(['火曜日']);
    expect(await titles(browser, '書きました')).toEqual(['火曜日']);
    // Both bigrams of 日本の記 are elsewhere in the first entry, but not the word: it is checked whole.
    expect(await titles(browser, '本記')).toEqual([]);
    expect((await titles(browser, '日本')).sort()).toEqual(['Other', '火曜日'].sort());
  });

  it('finds Chinese and Korean words, in titles too, with other words of the query, and marks them in the excerpt', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(browser, '旅行笔记', '我们在北京吃了烤鸭，然后去了长城。 Great Wall day');
    await writeEntry(browser, '서울', '오늘은 한강에서 산책했다.');
    expect(await titles(browser, '长城')).toEqual(['旅行笔记']);
    expect(await titles(browser, '笔记')).toEqual(['旅行笔记']);
    expect(await titles(browser, '长城 wall')).toEqual(['旅行笔记']);
    expect(await titles(browser, '长城 river')).toEqual([]);
    expect(await titles(browser, '한강에서')).toEqual(['서울']);
    const page = (await browser.get(`/journal?q=${encodeURIComponent('烤鸭')}`)).text;
    expect(page).toContain('<mark>烤鸭</mark>');
  });

  it('leaves trashed entries and other writers’ entries out', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, '消す', '猫が好きです。');
    await writeEntry(other, '他人', '猫が好きです。');
    expect(await titles(browser, '好き')).toEqual(['消す']);
    await browser.json('delete', `/api/entries/${id}`);
    expect(await titles(browser, '好き')).toEqual([]);
  });
});
