// Photos of a sealed journal: the server cannot read which photos a sealed entry shows, so the
// browser names them with the save, and the pruner keeps a sealed journal's photos.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pruneExpiredRows } from '../../src/prune.js';
import { signedInBrowser, useTestApp } from '../helpers/app.js';
import { twoColourJpeg, uploadPhoto } from '../photos/helpers.js';
import { ciphertext, sealJournal } from './helpers.js';

const setup = useTestApp();
const TWO_DAYS = 2 * 24 * 60 * 60;

async function photo(id: string) {
  const result = await setup.db.query<{ entry_id: string | null; unreferenced: boolean }>(
    'SELECT entry_id, unreferenced_since IS NOT NULL AS unreferenced FROM photos WHERE id = $1',
    [id],
  );
  return result.rows[0];
}

describe('photos of a sealed journal', () => {
  it('links the photos a sealed save names to its entry, and refuses a malformed list', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const photoId = (await uploadPhoto(setup.t.app, browser, await twoColourJpeg())).body.id as string;
    const id = randomUUID();
    expect((await browser.json('post', '/api/entries', { id, sealed: ciphertext(), photos: [photoId] })).status).toBe(201);
    expect(await photo(photoId)).toEqual({ entry_id: id, unreferenced: false });
    expect((await browser.json('put', `/api/entries/${id}`, { sealed: ciphertext(), photos: [] })).status).toBe(200);
    expect(await photo(photoId)).toEqual({ entry_id: id, unreferenced: true });
    const bad = await browser.json('put', `/api/entries/${id}`, { sealed: ciphertext(), photos: ['nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('photos_invalid');
  });

  it('keeps a sealed journal’s unreferenced photos from the pruner, and prunes an open journal’s', async () => {
    const { browser: sealed } = await signedInBrowser(setup.t.app);
    const { browser: open } = await signedInBrowser(setup.t.app);
    await sealJournal(sealed);
    const kept = (await uploadPhoto(setup.t.app, sealed, await twoColourJpeg())).body.id as string;
    const pruned = (await uploadPhoto(setup.t.app, open, await twoColourJpeg())).body.id as string;
    expect((await photo(kept))!.unreferenced).toBe(true);
    setup.t.clock.advance(TWO_DAYS);
    await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now());
    expect(await photo(kept)).toBeDefined();
    expect(await photo(pruned)).toBeUndefined();
  });
});
