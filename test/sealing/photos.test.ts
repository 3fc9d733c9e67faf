// Photos of a sealed journal: the browser strips, resizes and encrypts each one, and the server
// stores the ciphertexts as given and answers them to their owner only; it cannot read which
// photos a sealed entry shows, so the browser names them with the save, and the pruner keeps a
// sealed journal's photos.
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { pruneExpiredRows } from '../../src/prune.js';
import { type Browser, buildTestApp, signedInBrowser, TEST_ORIGIN, useTestApp } from '../helpers/app.js';
import { twoColourJpeg, uploadPhoto } from '../photos/helpers.js';
import { ciphertext, sealJournal } from './helpers.js';

const setup = useTestApp();
const TWO_DAYS = 2 * 24 * 60 * 60;

/** POST /api/photos as a sealed journal's editor sends it: two ciphertexts, the id they were sealed for, the size. */
function uploadSealed(
  app: Parameters<typeof request>[0],
  browser: Browser,
  { id = randomUUID() as string, display = randomBytes(3000), thumb = randomBytes(500), width = '2048', height = '1365' } = {},
) {
  return request(app)
    .post('/api/photos')
    .set('Cookie', browser.jar.header())
    .set('Origin', TEST_ORIGIN)
    .field('sealed', '1')
    .field('id', id)
    .field('width', width)
    .field('height', height)
    .attach('photo', display, { filename: 'photo.sealed', contentType: 'application/octet-stream' })
    .attach('thumb', thumb, { filename: 'thumb.sealed', contentType: 'application/octet-stream' });
}

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
    const photoId = (await uploadSealed(setup.t.app, browser)).body.id as string;
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
    const kept = (await uploadSealed(setup.t.app, sealed)).body.id as string;
    const pruned = (await uploadPhoto(setup.t.app, open, await twoColourJpeg())).body.id as string;
    expect((await photo(kept))!.unreferenced).toBe(true);
    setup.t.clock.advance(TWO_DAYS);
    await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now());
    expect(await photo(kept)).toBeDefined();
    expect(await photo(pruned)).toBeUndefined();
  });

  it('stores a sealed upload as given and answers it to its owner only, as opaque bytes nobody caches', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    await sealJournal(other);
    const id = randomUUID();
    const display = randomBytes(4000);
    const thumb = randomBytes(600);
    const stored = await uploadSealed(setup.t.app, browser, { id, display, thumb, width: '1600', height: '2048' });
    expect(stored.status, stored.text).toBe(201);
    expect(stored.body).toEqual({ id, url: `/photos/${id}`, width: 1600, height: 2048, bytes: 4600 });
    const row = await setup.db.query<{ display: Buffer; thumb: Buffer; sealed: boolean; content_type: string }>(
      'SELECT display, thumb, sealed, content_type FROM photos WHERE id = $1',
      [id],
    );
    expect(row.rows[0]).toEqual({ display, thumb, sealed: true, content_type: 'application/octet-stream' });

    const full = await browser.get(`/photos/${id}`);
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('application/octet-stream');
    expect(full.headers['cache-control']).toBe('no-store');
    expect(Buffer.from(full.body as Buffer).equals(display)).toBe(true);
    const small = await browser.get(`/photos/${id}?size=thumb`);
    expect(Buffer.from(small.body as Buffer).equals(thumb)).toBe(true);
    expect((await other.get(`/photos/${id}`)).status).toBe(404);
    expect((await other.get(`/photos/${id}?size=thumb`)).status).toBe(404);
    // The id names the ciphertext's additional data: a second upload under it is refused, not merged.
    expect((await uploadSealed(setup.t.app, browser, { id })).status).toBe(409);
    expect((await uploadSealed(setup.t.app, other, { id })).status).toBe(201);
  });

  it('refuses a sealed upload into an open journal and a plaintext one into a sealed journal (409), and a malformed one (400)', async () => {
    const { browser: open, email: openEmail } = await signedInBrowser(setup.t.app);
    const intoOpen = await uploadSealed(setup.t.app, open);
    expect(intoOpen.status).toBe(409);
    expect(intoOpen.body.error).toBe('journal_open');
    expect(intoOpen.body.message).toMatch(/not sealed/);

    const { browser: sealed, email: sealedEmail } = await signedInBrowser(setup.t.app);
    await sealJournal(sealed);
    const intoSealed = await uploadPhoto(setup.t.app, sealed, await twoColourJpeg());
    expect(intoSealed.status).toBe(409);
    expect(intoSealed.body.error).toBe('journal_sealed');
    expect(intoSealed.body.message).toMatch(/sealed/);
    for (const bad of [{ id: 'nope' }, { width: '0' }, { height: '99999' }, { thumb: randomBytes(10) }]) {
      const answer = await uploadSealed(setup.t.app, sealed, bad);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.body.error).toBe('photo_sealed_invalid');
    }
    const count = await setup.db.query('SELECT 1 FROM photos p JOIN users u ON u.id = p.user_id WHERE u.email IN ($1, $2)', [
      openEmail,
      sealedEmail,
    ]);
    expect(count.rowCount).toBe(0);
  });

  it('counts sealed photos in the quota and refuses one larger than PHOTO_MAX_BYTES (413)', async () => {
    const small = buildTestApp(setup.db, { PHOTO_MAX_BYTES: '20000', PHOTO_QUOTA_BYTES: '30000' });
    const { browser } = await signedInBrowser(small.app);
    await sealJournal(browser);
    const tooLarge = await uploadSealed(small.app, browser, { display: randomBytes(25000) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error).toBe('photo_too_large');
    expect((await uploadSealed(small.app, browser, { display: randomBytes(12000), thumb: randomBytes(2000) })).status).toBe(201);
    expect((await uploadSealed(small.app, browser, { display: randomBytes(12000), thumb: randomBytes(2000) })).status).toBe(201);
    const over = await uploadSealed(small.app, browser, { display: randomBytes(12000), thumb: randomBytes(2000) });
    expect(over.status).toBe(413);
    expect(over.body.error).toBe('photo_quota');
  });
});

describe('sealing and unsealing a journal’s existing photos', () => {
  async function stored(id: string) {
    const result = await setup.db.query<{ sealed: boolean; display: Buffer; content_type: string }>(
      'SELECT sealed, display, content_type FROM photos WHERE id = $1',
      [id],
    );
    return result.rows[0];
  }
  const rewrite = (browser: Browser, fields: Record<string, string>, files: Record<string, Buffer>) => {
    const test = request(setup.t.app).post('/api/sealing/photos').set('Cookie', browser.jar.header()).set('Origin', TEST_ORIGIN);
    for (const [name, value] of Object.entries(fields)) test.field(name, value);
    for (const [name, bytes] of Object.entries(files))
      test.attach(name, bytes, { filename: name, contentType: 'application/octet-stream' });
    return test;
  };

  it('lists the plaintext photos while sealing, replaces each in place with its sealed copy, then writes it back while unsealing', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = (await uploadPhoto(setup.t.app, browser, await twoColourJpeg())).body.id as string;
    expect((await rewrite(browser, { id }, { photo: await twoColourJpeg() })).status).toBe(409);
    await sealJournal(browser);
    expect((await browser.json('get', '/api/sealing')).body.photosRemaining).toBe(1);
    expect((await browser.json('get', '/api/sealing/photos')).body).toEqual({ photos: [{ id }], remaining: 1 });

    const display = randomBytes(3000);
    const sealedFields = { sealed: '1', id, width: '600', height: '400' };
    await sealJournal(other);
    expect((await rewrite(other, sealedFields, { photo: display, thumb: randomBytes(300) })).status).toBe(404);
    const sealed = await rewrite(browser, sealedFields, { photo: display, thumb: randomBytes(300) });
    expect(sealed.status, sealed.text).toBe(200);
    expect(sealed.body).toMatchObject({ id, rewritten: true, remaining: 0 });
    expect(await stored(id)).toEqual({ sealed: true, display, content_type: 'application/octet-stream' });
    expect((await browser.json('get', '/api/sealing/photos')).body).toEqual({ photos: [], remaining: 0 });
    // A second try (a closed tab resumed) changes nothing.
    expect((await rewrite(browser, sealedFields, { photo: randomBytes(3000), thumb: randomBytes(300) })).body.rewritten).toBe(false);

    // Unsealing: the opened photo comes back, and the server re-encodes it as any open journal's.
    expect((await browser.json('post', '/api/sealing/unseal', {})).status).toBe(200);
    expect((await browser.json('get', '/api/sealing')).body).toMatchObject({ state: 'unsealing', photosRemaining: 1 });
    expect((await browser.json('get', '/api/sealing/photos')).body.photos).toEqual([{ id }]);
    const back = await rewrite(browser, { id }, { photo: await twoColourJpeg() });
    expect(back.status, back.text).toBe(200);
    expect(back.body).toMatchObject({ rewritten: true, state: 'open' });
    const plain = await stored(id);
    expect(plain).toMatchObject({ sealed: false, content_type: 'image/jpeg' });
    expect(plain!.display.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    expect((await browser.get(`/photos/${id}`)).headers['content-type']).toBe('image/jpeg');
  });

  it('keeps an unsealing journal sealed while one of its photos is still sealed', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    expect((await uploadSealed(setup.t.app, browser)).status).toBe(201);
    const unseal = await browser.json('post', '/api/sealing/unseal', {});
    expect(unseal.body.state).toBe('unsealing');
    expect((await browser.json('get', '/api/sealing/pending')).body.entries).toEqual([]);
    expect((await browser.json('get', '/api/sealing')).body).toMatchObject({ state: 'unsealing', photosRemaining: 1 });
  });
});
