import { createHash } from 'node:crypto';
import { strToU8, unzipSync, zipSync } from 'fflate';
import jwt from 'jsonwebtoken';
import sharp from 'sharp';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { type Browser, signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';
import { cameraJpeg, jpegMarkers, twoColourJpeg, uploadPhoto } from './helpers.js';

const setup = useTestApp({ STEP_UP_SECONDS: String(30 * 86400) });
const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;

async function counts(browser: Browser): Promise<{ entries: number; photos: number }> {
  const userId = userIdOf(browser);
  const [entries, photos] = await Promise.all([
    setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM entries WHERE user_id = $1', [userId]),
    setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM photos WHERE user_id = $1', [userId]),
  ]);
  return { entries: entries.rows[0]!.n, photos: photos.rows[0]!.n };
}

async function uploaded(browser: Browser, bytes: Buffer, name = 'photo.jpg'): Promise<string> {
  const res = await uploadPhoto(setup.t.app, browser, bytes, name);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** The page's flash after an import, or its error sentence. */
async function importZip(browser: Browser, zip: Uint8Array): Promise<{ status: number; said: string }> {
  const res = await browser.upload('/account/import', 'file', Buffer.from(zip), 'journal.zip');
  if (res.status !== 303)
    return { status: res.status, said: /id="import-error"[^>]*>([^<]*)</.exec(res.text)?.[1] ?? res.text.slice(0, 300) };
  const page = await browser.get('/account');
  return { status: 303, said: /class="flash[^"]*"[^>]*>\s*([^<]*)</.exec(page.text)?.[1]?.trim() ?? '' };
}

async function downloadZip(browser: Browser, query = 'format=zip'): Promise<Record<string, Uint8Array>> {
  const res = await request(setup.t.app)
    .get(`/account/export?${query}`)
    .set('Cookie', browser.jar.header())
    .buffer(true)
    .parse((stream, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => done(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/zip');
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="smriti-export-\d{4}-\d{2}-\d{2}\.zip"$/);
  return unzipSync(new Uint8Array(res.body as Buffer));
}

describe('zip export and import', () => {
  it('exports the journal with a photos/ folder and relative references, and re-imports it with identical photo bytes', async () => {
    const { browser: writer } = await signedInBrowser(setup.t.app);
    const png = await sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const [jpeg, webp] = [await uploaded(writer, await cameraJpeg()), await uploaded(writer, png, 'clip.png')];
    await writeEntry(writer, 'Harbour', `Boats.\n\n![The pier](/photos/${jpeg})\n\n![Glass](/photos/${webp})`);

    const files = await downloadZip(writer);
    const names = Object.keys(files).sort();
    expect(names).toHaveLength(3);
    expect(names.filter((n) => n.startsWith('photos/'))).toEqual([`photos/${jpeg}.jpg`, `photos/${webp}.webp`].sort());
    expect(names.filter((n) => /^smriti-export-\d{4}-\d{2}-\d{2}\.json$/.test(n))).toHaveLength(1);
    const journal = JSON.parse(Buffer.from(files[names.find((n) => n.endsWith('.json'))!]!).toString('utf8'));
    expect(journal.entries[0].body).toBe(`Boats.\n\n![The pier](photos/${jpeg}.jpg)\n\n![Glass](photos/${webp}.webp)`);
    const served = (await writer.get(`/photos/${jpeg}`)).body as Buffer;
    expect(Buffer.from(files[`photos/${jpeg}.jpg`]!).equals(served)).toBe(true);

    const { browser: reader } = await signedInBrowser(setup.t.app);
    const zip = zipSync(files);
    expect(await importZip(reader, zip)).toEqual({ status: 303, said: 'Imported 1 entry and 2 photos.' });
    for (const id of [jpeg, webp]) {
      const mine = (await writer.get(`/photos/${id}`)).body as Buffer;
      const theirs = (await reader.get(`/photos/${id}`)).body as Buffer;
      expect(theirs.equals(mine)).toBe(true);
    }
    const [entry] = (await reader.json('get', '/api/entries')).body.entries;
    expect(entry.body).toBe(`Boats.\n\n![The pier](/photos/${jpeg})\n\n![Glass](/photos/${webp})`);
    expect((await reader.get('/journal/photos')).text).toContain(`<a href="/journal/${entry.id}"><img src="/photos/${jpeg}?size=thumb"`);

    const before = await counts(reader);
    expect(await importZip(reader, zip)).toEqual({
      status: 303,
      said: 'Imported 0 entries and 0 photos. 1 was already in your journal and skipped.',
    });
    expect(await counts(reader)).toEqual(before);
  });

  it('exports Markdown in the zip when asked, with the same relative references, and imports it back', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await uploaded(browser, await twoColourJpeg());
    await writeEntry(browser, 'Field', `![Poppies](/photos/${id})`);
    const files = await downloadZip(browser, 'format=zip&journal=markdown');
    const name = Object.keys(files).find((n) => n.endsWith('.md'))!;
    expect(Buffer.from(files[name]!).toString('utf8')).toContain(`![Poppies](photos/${id}.jpg)`);
    expect(files[`photos/${id}.jpg`]).toBeDefined();

    const { browser: reader } = await signedInBrowser(setup.t.app);
    expect(await importZip(reader, zipSync(files))).toEqual({ status: 303, said: 'Imported 1 entry and 1 photo.' });
    const [entry] = (await reader.json('get', '/api/entries')).body.entries;
    expect(entry.body).toBe(`![Poppies](/photos/${id})`);
    expect(((await reader.get(`/photos/${id}`)).body as Buffer).equals(Buffer.from(files[`photos/${id}.jpg`]!))).toBe(true);
  });
});

/** A Day One zip as the app exports it: Journal.json beside photos/<md5>.<type>. */
async function dayOneZip(): Promise<{ zip: Uint8Array; uuids: string[] }> {
  const [red, blue] = [
    await twoColourJpeg(),
    await sharp(await twoColourJpeg(300, 200))
      .negate()
      .jpeg()
      .toBuffer(),
  ];
  const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
  const uuids = ['9F1C2E3D4B5A69788796A5B4C3D2E1F0', 'A1B2C3D4E5F60718293A4B5C6D7E8F90'];
  const journal = {
    metadata: { version: '1.0' },
    entries: [
      {
        uuid: uuids[0],
        creationDate: '2024-06-01T08:00:00Z',
        timeZone: 'Europe/London',
        text: '# Lisbon\n\nTrams.\n\n![](dayone-moment://1F2E3D4C5B6A79881F2E3D4C5B6A7988)',
        starred: true,
        location: { placeName: 'Alfama', latitude: 38.71, longitude: -9.13 },
        weather: { conditionsDescription: 'Sunny' },
        photos: [{ identifier: '1F2E3D4C5B6A79881F2E3D4C5B6A7988', md5: md5(red), type: 'jpeg' }],
      },
      {
        uuid: uuids[1],
        creationDate: '2024-06-02T08:00:00Z',
        text: 'Sintra.\n\n![](dayone-moment://AA00BB11CC22DD33EE44FF5566778899)',
        photos: [{ identifier: 'AA00BB11CC22DD33EE44FF5566778899', md5: md5(blue), type: 'jpeg' }],
      },
    ],
  };
  const zip = zipSync({
    'Journal.json': strToU8(JSON.stringify(journal)),
    [`photos/${md5(red)}.jpeg`]: red,
    [`photos/${md5(blue)}.jpeg`]: blue,
  });
  return { zip, uuids };
}

describe('Day One zip import', () => {
  it('imports both photos into the right entries, says what it left out, and adds nothing the second time', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { zip } = await dayOneZip();
    expect(await importZip(browser, zip)).toEqual({
      status: 303,
      said: 'Imported 2 entries and 2 photos. Left out, as Smriti does not keep them: location (1 entry), weather (1 entry).',
    });
    const entries = (await browser.json('get', '/api/entries')).body.entries as {
      id: string;
      title: string;
      body: string;
      starred: boolean;
    }[];
    const lisbon = entries.find((e) => e.title === 'Lisbon')!;
    expect(lisbon.starred).toBe(true);
    // Day One's first line is the title when it is not a heading (issue 34, defect 5).
    const sintra = entries.find((e) => e.title === 'Sintra.')!;
    const [lisbonPhoto] = /\/photos\/([0-9a-f-]{36})/.exec(lisbon.body)!.slice(1);
    const [sintraPhoto] = /\/photos\/([0-9a-f-]{36})/.exec(sintra.body)!.slice(1);
    expect(lisbon.body).not.toContain('dayone-moment');
    const owners = await setup.db.query<{ id: string; entry_id: string }>('SELECT id, entry_id FROM photos WHERE user_id = $1', [
      userIdOf(browser),
    ]);
    expect(Object.fromEntries(owners.rows.map((r) => [r.id, r.entry_id]))).toEqual({
      [lisbonPhoto!]: lisbon.id,
      [sintraPhoto!]: sintra.id,
    });
    // Re-encoded like any upload: no metadata block survives.
    const bytes = (await browser.get(`/photos/${lisbonPhoto}`)).body as Buffer;
    expect(jpegMarkers(bytes).filter((m) => m >= 0xe1 && m <= 0xef)).toEqual([]);
    expect((await browser.get(`/journal/${lisbon.id}`)).text).toContain(`<img src="/photos/${lisbonPhoto}"`);

    const before = await counts(browser);
    expect((await importZip(browser, zip)).said).toMatch(/^Imported 0 entries and 0 photos\. 2 were already in your journal and skipped\./);
    expect(await counts(browser)).toEqual(before);
  });
  it('leaves out a HEIC photo, saying so, and imports the rest', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    const md5 = createHash('md5').update(heic).digest('hex');
    const journal = {
      metadata: { version: '1.0' },
      entries: [
        {
          uuid: 'B1B2C3D4E5F60718293A4B5C6D7E8F90',
          creationDate: '2024-06-03T08:00:00Z',
          text: 'Cascais.\n\n![](dayone-moment://BB00BB11CC22DD33EE44FF5566778899)',
          photos: [{ identifier: 'BB00BB11CC22DD33EE44FF5566778899', md5, type: 'heic' }],
        },
      ],
    };
    const zip = zipSync({ 'Journal.json': strToU8(JSON.stringify(journal)), [`photos/${md5}.heic`]: heic });
    expect(await importZip(browser, zip)).toEqual({
      status: 303,
      said: 'Imported 1 entry and 0 photos. Left out, as Smriti does not keep them: 1 HEIC photo (export it from Day One as JPEG to bring it in).',
    });
    expect(await counts(browser)).toEqual({ entries: 1, photos: 0 });
  });
});

describe('hostile zips are refused whole, with nothing written', () => {
  const photo = () => twoColourJpeg();
  const journalWith = (body: string) =>
    strToU8(JSON.stringify({ format: 'smriti-export', version: 1, entries: [{ title: 'x', body, createdAt: '2024-01-01T00:00:00Z' }] }));

  /** The zip's central directory claims `claimed` bytes for its first file, whatever it really holds. */
  function lyingSize(zip: Uint8Array, claimed: number): Uint8Array {
    const bytes = Buffer.from(zip);
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(claimed, 22); // local header's uncompressed size
    bytes.writeUInt32LE(claimed, central + 24);
    return bytes;
  }

  const cases: [string, () => Promise<Uint8Array>, RegExp][] = [
    [
      'a path that leaves its folder',
      async () => zipSync({ 'journal.json': journalWith('hi'), '../../etc/evil.jpg': await photo() }),
      /outside its own folder/,
    ],
    [
      'a zip bomb (a journal file that unpacks past the limit)',
      async () => zipSync({ 'journal.json': new Uint8Array(25 * 1024 * 1024).fill(32) }, { level: 9 }),
      /larger than 20 MB when unpacked/,
    ],
    [
      'a bomb whose header understates what it unpacks to',
      async () => lyingSize(zipSync({ 'journal.json': new Uint8Array(5 * 1024 * 1024).fill(32) }, { level: 9 }), 100),
      /not valid JSON|unpacks to far more/,
    ],
    [
      '100,000 files',
      async () => {
        const files: Record<string, Uint8Array> = { 'journal.json': journalWith('hi') };
        for (let i = 0; i < 100_000; i++) files[`notes/${i}.txt`] = new Uint8Array(0);
        return zipSync(files, { level: 0 });
      },
      /more than 10,000 files/,
    ],
    [
      'a non-image named .jpg',
      async () =>
        zipSync({
          'journal.json': journalWith('![](photos/00000000-0000-4000-8000-000000000001.jpg)'),
          'photos/00000000-0000-4000-8000-000000000001.jpg': strToU8('#!/bin/sh\necho not a photo'),
        }),
      /is not a JPEG, PNG, WebP, GIF or AVIF image/,
    ],
    ['bytes that are no zip at all after its signature', async () => new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]), /damaged/],
  ];

  it.each(cases)('refuses %s', async (_name, make, sentence) => {
    const { browser } = await signedInBrowser(setup.t.app);
    const result = await importZip(browser, await make());
    expect(result.status).toBe(400);
    expect(result.said).toMatch(/^Nothing was imported/);
    expect(result.said).toMatch(sentence);
    expect(await counts(browser)).toEqual({ entries: 0, photos: 0 });
  });
});
