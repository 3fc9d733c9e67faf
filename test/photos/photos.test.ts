import jwt from 'jsonwebtoken';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { pruneExpiredRows } from '../../src/prune.js';
import { Browser, buildTestApp, signedInBrowser, TEST_PASSWORD, useTestApp, writeEntry } from '../helpers/app.js';
import { cameraJpeg, jpegMarkers, twoColourJpeg, uploadPhoto } from './helpers.js';

const setup = useTestApp({ STEP_UP_SECONDS: String(30 * 86400) });
const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

async function photoCount(browser: Browser): Promise<number> {
  const result = await setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM photos WHERE user_id = $1', [userIdOf(browser)]);
  return result.rows[0]!.n;
}

async function uploaded(browser: Browser, bytes?: Buffer): Promise<string> {
  const res = await uploadPhoto(setup.t.app, browser, bytes ?? (await twoColourJpeg()));
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('uploading a photo', () => {
  it('answers 201 with the photo, upright, with no EXIF, XMP, IPTC or ICC block left in its bytes', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await uploadPhoto(setup.t.app, browser, await cameraJpeg());
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), url: `/photos/${res.body.id}`, width: 400, height: 600, bytes: expect.any(Number) });

    const served = await browser.get(res.body.url);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    const bytes = served.body as Buffer;
    // Only APP0 (JFIF) may remain among the application blocks: APP1 is EXIF and XMP, APP2 ICC, APP13 IPTC.
    const markers = jpegMarkers(bytes);
    expect(markers.filter((m) => m >= 0xe1 && m <= 0xef)).toEqual([]);
    for (const word of ['Canon', 'Greenwich', 'Exif', 'GPS', 'Photoshop']) expect(bytes.includes(Buffer.from(word, 'latin1'))).toBe(false);
    // Orientation 6 turned the 600 × 400 picture upright: the red left half is now on top.
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([400, 600, undefined]);
    const { data } = await sharp(bytes).extract({ left: 200, top: 100, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[2]).toBeLessThan(60);
  });

  it('keeps a display size of at most 2,048 px and a 400 px WebP thumbnail', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await uploadPhoto(setup.t.app, browser, await twoColourJpeg(3000, 1000));
    expect([res.body.width, res.body.height]).toEqual([2048, 683]);
    const thumb = await browser.get(`${res.body.url}?size=thumb`);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const meta = await sharp(thumb.body as Buffer).metadata();
    expect([meta.format, meta.width]).toEqual(['webp', 400]);
  });

  it('stores a PNG with transparency as WebP', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const png = await sharp({ create: { width: 50, height: 50, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const res = await uploadPhoto(setup.t.app, browser, png, 'clip.png');
    expect(res.status).toBe(201);
    expect((await browser.get(res.body.url)).headers['content-type']).toBe('image/webp');
  });

  it('keeps an animated GIF animated, as WebP', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const frame = (colour: string) =>
      sharp({ create: { width: 60, height: 40, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const gif = await sharp([await frame('#f00'), await frame('#0f0'), await frame('#00f')], { join: { animated: true } })
      .gif()
      .toBuffer();
    const res = await uploadPhoto(setup.t.app, browser, gif, 'wave.gif');
    expect(res.status).toBe(201);
    expect([res.body.width, res.body.height]).toEqual([60, 40]);
    const served = await browser.get(res.body.url);
    expect(served.headers['content-type']).toBe('image/webp');
    expect((await sharp(served.body as Buffer).metadata()).pages).toBe(3);
  });

  it('answers 415 with a sentence for a file that is not an image, whatever its name, and for HEIC', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const text = await uploadPhoto(setup.t.app, browser, Buffer.from('just some words, not a picture'), 'holiday.jpg');
    expect(text.status).toBe(415);
    expect(text.body.message).toBe('Smriti takes JPEG, PNG, WebP, GIF and AVIF photos; this file is none of those.');
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    const refused = await uploadPhoto(setup.t.app, browser, heic, 'IMG_0001.HEIC');
    expect(refused.status).toBe(415);
    expect(refused.body.message).toContain('export it as JPEG');
    const broken = await uploadPhoto(setup.t.app, browser, (await twoColourJpeg()).subarray(0, 300), 'cut.jpg');
    expect(broken.status).toBe(415);
    expect(await photoCount(browser)).toBe(0);
  });

  it('answers 413 past PHOTO_MAX_BYTES and past the account quota, storing nothing', async () => {
    const small = buildTestApp(setup.db, { PHOTO_MAX_BYTES: '20000', PHOTO_QUOTA_BYTES: '60000' });
    const { browser } = await signedInBrowser(small.app);
    const big = await sharp({
      create: { width: 800, height: 800, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
    })
      .jpeg({ quality: 100 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(20000);
    const tooLarge = await uploadPhoto(small.app, browser, big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.message).toBe('The photo is larger than the 20 KB limit; export a smaller copy and try again.');

    const photo = await sharp({
      create: { width: 150, height: 150, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
    })
      .jpeg({ quality: 70 })
      .toBuffer();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await uploadPhoto(small.app, browser, photo)).status);
    expect(statuses).toContain(201);
    expect(statuses.at(-1)).toBe(413);
    const over = await uploadPhoto(small.app, browser, photo);
    expect(over.body.message).toMatch(/^Your photos have reached the 59 KB an account can hold\./);
    const used = await setup.db.query<{ total: string }>('SELECT sum(bytes) AS total FROM photos WHERE user_id = $1', [userIdOf(browser)]);
    expect(Number(used.rows[0]!.total)).toBeLessThanOrEqual(60000);
  });

  it('queues one account’s many uploads (three at most, the rest 429 with a sentence) while another account’s goes through', async () => {
    const { browser: busy } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const photo = await sharp({
      create: { width: 1600, height: 1200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toBuffer();
    const burst = Array.from({ length: 6 }, () => uploadPhoto(setup.t.app, busy, photo));
    const theirs = await uploadPhoto(setup.t.app, other, await twoColourJpeg());
    const answers = await Promise.all(burst);
    expect(theirs.status).toBe(201);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 429)).toBe(true);
    expect(statuses).toContain(429);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body.message).toBe('Your other photos are still uploading; this one can be sent once they are done.');
    expect(await photoCount(busy)).toBe(statuses.filter((s) => s === 201).length);
  }, 60_000);

  it('answers 404 for an entry_id that is not one of the writer’s entries', async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const entryId = await writeEntry(owner, 'Mine', 'Text.');
    const res = await uploadPhoto(setup.t.app, other, await twoColourJpeg(), 'a.jpg', entryId);
    expect(res.status).toBe(404);
    expect(await photoCount(other)).toBe(0);
  });
});

describe('GET /photos/:id', () => {
  it("answers 404 for another user's photo, exactly as for one that does not exist", async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await uploaded(owner);
    const theirs = await other.get(`/photos/${id}`);
    const none = await other.get('/photos/00000000-0000-4000-8000-000000000000');
    expect([theirs.status, none.status]).toEqual([404, 404]);
    expect(theirs.text).toBe(none.text);
    expect((await other.get(`/photos/${id}?size=thumb`)).status).toBe(404);
    expect((await other.get('/photos/not-a-uuid')).status).toBe(404);
  });

  it('may be cached privately, but not after a shared-computer sign-in', async () => {
    const { browser, email } = await signedInBrowser(setup.t.app);
    const id = await uploaded(browser);
    expect((await browser.get(`/photos/${id}`)).headers['cache-control']).toBe('private, max-age=604800, immutable');

    const shared = new Browser(setup.t.app);
    expect((await shared.post('/login', { email, password: TEST_PASSWORD, shared_computer: '1' })).status).toBe(303);
    expect((await shared.get(`/photos/${id}`)).headers['cache-control']).toBe('no-store');
    expect((await shared.post('/logout')).headers['clear-site-data']).toBe('"cache"');
  });
});

describe('photos in entries', () => {
  it('renders the writer’s own photo with its caption, and any other image as the text typed', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await uploaded(browser);
    const entryId = await writeEntry(
      browser,
      'Walk',
      `![The pier at dusk](/photos/${id})\n\n![x](https://evil.example/a.png) ![y](/account)`,
    );
    const page = await browser.get(`/journal/${entryId}`);
    expect(page.text).toContain(
      `<span class="photo"><img src="/photos/${id}" alt="The pier at dusk"><span class="photo-caption">The pier at dusk</span></span>`,
    );
    expect(page.text).toContain('![x](https://evil.example/a.png)');
    expect(page.text).not.toContain('src="https://evil.example');
    expect(page.text).not.toContain('src="/account"');
    expect(page.headers['content-security-policy']).toContain("img-src 'self' data:");
  });

  it('shows another user’s photo id as the text typed, not as a picture', async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const theirs = await uploaded(owner);
    const entryId = await writeEntry(other, 'Borrowed', `![Not mine](/photos/${theirs})`);
    const page = await other.get(`/journal/${entryId}`);
    expect(page.text).not.toContain(`<img src="/photos/${theirs}"`);
    expect(page.text).toContain(`![Not mine](/photos/${theirs})`);
  });

  it('shows the first photo’s thumbnail on the card, and each photo on the Photos view linking to its entry', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const [first, second] = [await uploaded(browser), await uploaded(browser)];
    const entryId = await writeEntry(browser, 'Two photos', `Morning.\n\n![](/photos/${first})\n![](/photos/${second})`);
    const list = await browser.get('/journal');
    expect(list.text).toContain(`<img class="entry-thumb" src="/photos/${first}?size=thumb"`);
    const view = await browser.get('/journal/photos');
    expect(view.status).toBe(200);
    expect(view.text).toContain(`<a href="/journal/${entryId}"><img src="/photos/${first}?size=thumb"`);
    expect(view.text).toContain(`/photos/${second}?size=thumb`);
  });

  it('prunes a photo a day after its reference was removed, and an upload never saved', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const [kept, dropped, neverSaved] = [await uploaded(browser), await uploaded(browser), await uploaded(browser)];
    const entryId = await writeEntry(browser, 'Day', `![](/photos/${kept}) ![](/photos/${dropped})`);
    expect((await browser.json('put', `/api/entries/${entryId}`, { title: 'Day', body: `![](/photos/${kept})` })).status).toBe(200);
    await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now());
    expect(await photoCount(browser)).toBe(3);
    const removed = await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now() + 25 * 3600 * 1000);
    expect(removed.unreferencedPhotos).toBeGreaterThanOrEqual(2);
    expect((await browser.get(`/photos/${kept}`)).status).toBe(200);
    expect((await browser.get(`/photos/${dropped}`)).status).toBe(404);
    expect((await browser.get(`/photos/${neverSaved}`)).status).toBe(404);
  });
});

describe('photos and the trash', () => {
  it('go to the trash with their entry and come back with it; deleting for good removes them', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await uploaded(browser);
    const entryId = await writeEntry(browser, 'Beach', `![](/photos/${id})`);
    expect((await browser.post(`/journal/${entryId}/delete`)).status).toBe(303);
    expect((await browser.get('/journal/photos')).text).not.toContain(id);
    // Kept while in the trash, however long the pruner waits for unreferenced photos.
    await pruneExpiredRows(setup.db, setup.t.config, setup.t.clock.now() + 2 * 86400 * 1000);
    expect(await photoCount(browser)).toBe(1);

    expect((await browser.post(`/journal/${entryId}/restore`)).status).toBe(303);
    expect((await browser.get('/journal/photos')).text).toContain(`/photos/${id}?size=thumb`);

    await browser.post(`/journal/${entryId}/delete`);
    expect((await browser.post(`/journal/${entryId}/purge`)).status).toBe(303);
    expect(await photoCount(browser)).toBe(0);
    expect((await browser.get(`/photos/${id}`)).status).toBe(404);
  });

  it('are deleted with the account', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await writeEntry(browser, 'Beach', `![](/photos/${await uploaded(browser)})`);
    const userId = userIdOf(browser);
    expect((await browser.post('/account/delete', { current_password: TEST_PASSWORD })).status).toBe(303);
    const left = await setup.db.query('SELECT 1 FROM photos WHERE user_id = $1', [userId]);
    expect(left.rowCount).toBe(0);
  });
});
