// Defect 8 of issue 34 (part): dates and times sit right against the punctuation after them, and
// the delete confirmation's buttons are apart.
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';

const setup = useTestApp();

describe('date lines', () => {
  it('puts no space between a time or a day and the punctuation after it', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Punctuation', 'x');
    const confirm = (await browser.get(`/journal/${id}/delete`)).text;
    expect(confirm).toMatch(
      /<strong data-sealed-title>Punctuation<\/strong>, <time class="entry-day" datetime="[\d-]+">[^<]+<\/time>\.<\/p>/,
    );
    expect(confirm).toContain(`<form method="post" action="/journal/${id}/delete" class="actions">`);
    await browser.post(`/journal/${id}/delete`);
    const trash = (await browser.get('/journal/trash')).text;
    expect(trash).toMatch(/<\/time>; goes for good on <time [^>]+>[^<]+<\/time>\.<\/p>/);
    expect(trash).not.toMatch(/<\/time>\s+[;.,]/);
  });
});
