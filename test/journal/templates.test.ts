// Templates (issue 34): a writer's own starting points, two built in, and /journal/new?template=<id>.
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

const idsIn = (html: string) => [...html.matchAll(/href="\/journal\/new\?template=([0-9a-f-]{36})"/g)].map((m) => m[1]!);
/** The id of the template called `name` on the templates page. */
const idOf = (html: string, name: string) => new RegExp(`>${name}</h2>[\\s\\S]*?template=([0-9a-f-]{36})`).exec(html)?.[1];

describe('templates', () => {
  it('gives every new writer a gratitude list and a daily review to start from', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const page = await browser.get('/journal/templates');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Gratitude list');
    expect(page.text).toContain('Daily review');
    expect((await browser.get('/journal')).text).toContain('href="/journal/templates"');
    const gratitude = idOf(page.text, 'Gratitude list');
    const editor = await browser.get(`/journal/new?template=${gratitude}`);
    expect(editor.status).toBe(200);
    expect(editor.text).toContain('value="Three good things"');
    expect(editor.text).toContain('Three things I am grateful for today:');
    expect(editor.text).toMatch(/id="tags" name="tags" type="text" value="gratitude"/);
  });

  it('writes a template, starts an entry from it and saves that entry with its tags', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const made = await browser.post('/journal/templates', {
      name: 'Morning pages',
      title: 'Morning',
      body: 'Three pages, #longhand.',
      tags: 'pages',
    });
    expect(made.status).toBe(303);
    expect(made.headers.location).toBe('/journal/templates');
    const list = (await browser.get('/journal/templates')).text;
    expect(list).toContain('Saved the template “Morning pages”.');
    const id = idOf(list, 'Morning pages')!;
    const editor = (await browser.get(`/journal/new?template=${id}`)).text;
    expect(editor).toContain('value="Morning"');
    expect(editor).toMatch(/name="tags" type="text" value="pages"/);
    const saved = await browser.post('/journal', { title: 'Morning', body: 'Three pages, #longhand.', tags: 'pages' });
    const entryId = saved.headers.location!.split('/').at(-1)!;
    expect((await browser.json('get', `/api/entries/${entryId}`)).body.tags).toEqual(['pages', 'longhand']);
  });

  it('changes and removes a built-in template like any other, after a confirmation page', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const templates = (await browser.get('/journal/templates')).text;
    const [gratitude, review] = [idOf(templates, 'Gratitude list')!, idOf(templates, 'Daily review')!];
    const form = (await browser.get(`/journal/templates/${review}/edit`)).text;
    expect(form).toContain('value="Daily review"');
    const changed = await browser.post(`/journal/templates/${review}`, {
      name: 'Evening review',
      title: 'Evening',
      body: 'What now?',
      tags: '',
    });
    expect(changed.status).toBe(303);
    expect((await browser.get(`/journal/new?template=${review}`)).text).toContain('What now?');
    const confirm = await browser.get(`/journal/templates/${gratitude}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Remove this template?');
    expect(confirm.text).toContain(`action="/journal/templates/${gratitude}/delete"`);
    // The list links to the confirmation page; it never removes with one click.
    expect((await browser.get('/journal/templates')).text).not.toMatch(/<form[^>]+\/delete"/);
    expect((await browser.post(`/journal/templates/${gratitude}/delete`)).status).toBe(303);
    const list = (await browser.get('/journal/templates')).text;
    expect(list).toContain('Removed the template “Gratitude list”.');
    expect(idsIn(list)).toEqual([review]);
    expect(list).toContain('Evening review');
    expect((await browser.get(`/journal/new?template=${gratitude}`)).status).toBe(404);
  });

  it('answers 400 with a sentence beside each wrong field, and saves nothing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await browser.post('/journal/templates', { name: '  ', title: 'x', body: 'y', tags: 'party 🎈' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Give the template a name');
    expect(res.text).toContain('aria-invalid="true" aria-describedby="tags-error"');
    expect(res.text).toContain('is not.');
    expect(idsIn((await browser.get('/journal/templates')).text)).toHaveLength(2);
  });

  it('keeps each writer’s templates their own', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const [mine] = idsIn((await browser.get('/journal/templates')).text);
    expect((await other.get(`/journal/new?template=${mine}`)).status).toBe(404);
    expect((await other.get(`/journal/templates/${mine}/edit`)).status).toBe(404);
    expect((await other.post(`/journal/templates/${mine}`, { name: 'Taken', title: '', body: '', tags: '' })).status).toBe(404);
    expect((await other.post(`/journal/templates/${mine}/delete`)).status).toBe(404);
    expect((await browser.get('/journal/templates')).text).toContain('Gratitude list');
    expect((await browser.get('/journal/new?template=not-an-id')).status).toBe(404);
  });
});
