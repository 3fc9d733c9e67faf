// Issue 34: "- [ ]" and "- [x]" render as checkboxes, and ticking one saves the entry with its version.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { setItem } from '../../src/journal/checklists.js';
import { checklistItems, renderMarkdown } from '../../src/journal/markdown.js';
import { type Browser, signedInBrowser, TEST_ORIGIN, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

const LIST = 'Before we go:\n\n- [ ] passports\n- [x] tickets\n- plain item\n\n> 1. [ ] quoted';

async function entryWithList(browser: Browser, body = LIST): Promise<string> {
  const res = await browser.json('post', '/api/entries', { title: 'Trip', body });
  expect(res.status).toBe(201);
  return res.body.id;
}

const boxes = (html: string) =>
  [
    ...html.matchAll(
      /<button type="submit" form="checklist" name="task" value="(\d+:[01])"[^>]*aria-checked="(true|false)" aria-label="([^"]*)"/g,
    ),
  ].map((m) => [m[1], m[2], m[3]]);

describe('checklists', () => {
  it('renders - [ ] and - [x] as checkboxes of the page’s form, not as brackets, and leaves other items alone', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await entryWithList(browser);
    const page = (await browser.get(`/journal/${id}`)).text;
    expect(boxes(page)).toEqual([
      ['0:1', 'false', 'passports'],
      ['1:0', 'true', 'tickets'],
      ['2:1', 'false', 'quoted'],
    ]);
    expect(page).not.toContain('[ ]');
    expect(page).not.toContain('[x]');
    expect(page).toContain('<li>plain item</li>');
    expect(page).toContain(
      `<form id="checklist" method="post" action="/journal/${id}/checklist" hidden data-checklist><input type="hidden" name="version" value="1"></form>`,
    );
  });

  it('renders disabled checkboxes where there is no form, and brackets that open no list item as text', () => {
    expect(renderMarkdown('- [x] done')).toContain('<input type="checkbox" class="task-box" disabled checked aria-label="done">');
    expect(renderMarkdown('- [ ] **buy** `milk` <b>')).toContain('aria-label="buy milk &lt;b&gt;"');
    expect(renderMarkdown('[ ] not in a list')).toContain('[ ] not in a list');
    expect(renderMarkdown('- [y] not a box')).toContain('[y] not a box');
  });

  it('ticks an item with the version shown: the text changes on that line only, and the version goes up', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await entryWithList(browser);
    const res = await browser.post(`/journal/${id}/checklist`, { version: '1', task: '0:1' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/journal/${id}#task-0`);
    const saved = (await browser.json('get', `/api/entries/${id}`)).body;
    expect(saved.version).toBe(2);
    expect(saved.body).toBe(LIST.replace('- [ ] passports', '- [x] passports'));

    await browser.post(`/journal/${id}/checklist`, { version: '2', task: '2:1' });
    await browser.post(`/journal/${id}/checklist`, { version: '3', task: '1:0' });
    expect((await browser.json('get', `/api/entries/${id}`)).body.body).toBe(
      'Before we go:\n\n- [x] passports\n- [ ] tickets\n- plain item\n\n> 1. [x] quoted',
    );
  });

  it('answers 409 with the entry as it is now when the version is stale, and changes nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await entryWithList(browser);
    await browser.json('put', `/api/entries/${id}`, { title: 'Trip', body: `${LIST}\n\nAdded elsewhere.` });
    const res = await browser.post(`/journal/${id}/checklist`, { version: '1', task: '0:1' });
    expect(res.status).toBe(409);
    expect(res.text).toContain('This entry was changed in another tab or device since you opened it; nothing was overwritten.');
    expect(res.text).toContain('Added elsewhere.');
    expect(res.text).toContain('name="version" value="2"');
    const stored = (await browser.json('get', `/api/entries/${id}`)).body;
    expect(stored).toMatchObject({ version: 2, body: `${LIST}\n\nAdded elsewhere.` });
  });

  it('answers JSON to a script: the new version, or 409 with the current entry', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await entryWithList(browser);
    const tick = (version: string) =>
      request(setup.t.app)
        .post(`/journal/${id}/checklist`)
        .set('Cookie', browser.jar.header())
        .set('Origin', TEST_ORIGIN)
        .set('Accept', 'application/json')
        .type('form')
        .send({ version, task: '0:1' });
    const ok = await tick('1');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ version: 2, task: 0, checked: true });
    const stale = await tick('1');
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'conflict', current: { version: 2 } });
  });

  it('refuses a missing version, a bad task and an item that is not there with a 400; another writer’s entry is a 404', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await entryWithList(browser);
    expect((await browser.post(`/journal/${id}/checklist`, { task: '0:1' })).status).toBe(400);
    expect((await browser.post(`/journal/${id}/checklist`, { version: '1', task: 'first' })).status).toBe(400);
    const missing = await browser.post(`/journal/${id}/checklist`, { version: '1', task: '7:1' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('This entry has no such checklist item.');
    expect((await other.post(`/journal/${id}/checklist`, { version: '1', task: '0:1' })).status).toBe(404);
    expect((await browser.json('get', `/api/entries/${id}`)).body.version).toBe(1);
  });

  it('finds each item’s line, inside code fences never', () => {
    const body = '```\n- [ ] code\n```\n- [ ] real\n  - [x] nested';
    expect(checklistItems(body)).toEqual([
      { line: 3, checked: false },
      { line: 4, checked: true },
    ]);
    expect(setItem(body, 4, false)).toBe('```\n- [ ] code\n```\n- [ ] real\n  - [ ] nested');
    expect(setItem(body, 0, true)).toBeUndefined();
  });
});

describe('wide tables and code blocks in an entry (defect 8)', () => {
  it('puts a table in its own scrolling box and makes code blocks focusable for keyboard scrolling', () => {
    const html = renderMarkdown('| Action | Remove |\n|---|---|\n| a | b |\n\n```\nconst x = 1;\n```');
    expect(html).toMatch(/^<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>[\s\S]*<\/table>\n<\/div>/);
    expect(html).toContain('<pre tabindex="0"><code>const x = 1;');
  });
});
