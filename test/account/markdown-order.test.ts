// Issue 34, defect 7: the Markdown export says "newest entry first", and means the entry's own day.
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

describe('the Markdown export’s order', () => {
  it('puts entries newest day first, whenever they were written, and JSON stays newest written first', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const [title, entryDate] of [
      ['Written first, latest day', '2025-05-01'],
      ['Written second, earliest day', '2020-01-01'],
      ['Written last, middle day', '2023-07-07'],
    ]) {
      expect((await browser.json('post', '/api/entries', { title, body: 'x', entryDate })).status).toBe(201);
      setup.t.clock.advance(60);
    }
    const markdown = (await browser.get('/account/export?format=markdown')).text;
    expect(markdown).toContain('newest entry first');
    expect([...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual([
      'Written first, latest day',
      'Written last, middle day',
      'Written second, earliest day',
    ]);
    const json = JSON.parse((await browser.get('/account/export')).text);
    expect(json.entries.map((e: { title: string }) => e.title)).toEqual([
      'Written last, middle day',
      'Written second, earliest day',
      'Written first, latest day',
    ]);
  });

  it('pages through a journal larger than one read by day, every entry once', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const user = (await setup.db.query<{ id: string }>('SELECT id FROM users ORDER BY created_at DESC LIMIT 1')).rows[0]!.id;
    await setup.db.query(
      `INSERT INTO entries (user_id, title, body, entry_date, created_at, updated_at)
       SELECT $1, 'E' || g, 'x', date '2020-01-01' + (g % 400), now() - g * interval '1 second', now()
         FROM generate_series(1, 1200) g`,
      [user],
    );
    const days = [...(await browser.get('/account/export?format=markdown')).text.matchAll(/"entryDate":"([\d-]+)"/g)].map((m) => m[1]!);
    expect(days).toHaveLength(1200);
    expect([...days].sort().reverse()).toEqual(days);
  });
});
