// Hostile import files of every JSON shape: a 400 with a sentence, never a 500 or a half-written journal.
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { parseExportFile } from '../../src/account/import.js';
import { ACCESS_COOKIE } from '../../src/auth/cookies.js';
import { isDay } from '../../src/journal/entries.js';
import { type Browser, signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

const userIdOf = (browser: Browser) => (jwt.decode(browser.jar.get(ACCESS_COOKIE)!) as { sub: string }).sub;
async function entryCount(browser: Browser): Promise<number> {
  const { rows } = await setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM entries WHERE user_id = $1', [userIdOf(browser)]);
  return rows[0]!.n;
}

/** The import's answer for `file`, checked: never a 5xx, and a 400 says why in a sentence and writes nothing. */
async function importAnswer(browser: Browser, file: string): Promise<{ status: number; text: string }> {
  const before = await entryCount(browser);
  const res = await browser.upload('/account/import', 'file', file);
  expect(res.status, `${file.slice(0, 200)} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status === 400) {
    expect(res.text).toMatch(/Nothing was imported\. [^<]+\./);
    expect(await entryCount(browser)).toBe(before);
  }
  return res;
}

// Zod's own wording ("Invalid input: expected object, received number") is for programmers.
const FOR_PROGRAMMERS = /Invalid input|expected \w+, received|Unrecognized/;

/** Day One shaped files with each field either right, wrong in type, or at the ends of the range. */
const dayOneLike = fc.record(
  {
    metadata: fc.oneof(fc.record({ version: fc.oneof(fc.string(), fc.jsonValue()) }), fc.jsonValue()),
    entries: fc.oneof(
      fc.array(
        fc.oneof(
          fc.record(
            {
              uuid: fc.oneof(fc.stringMatching(/^[0-9A-F]{32}$/), fc.jsonValue()),
              text: fc.oneof(fc.string(), fc.constantFrom('# Title\\!\n\nText', '\n', '\\\\'), fc.jsonValue()),
              creationDate: fc.oneof(
                fc
                  .date({ min: new Date('0000-12-30T00:00:00Z'), max: new Date('+010000-01-02T00:00:00Z'), noInvalidDate: true })
                  .map((d) => d.toISOString()),
                fc.constantFrom('9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '2024-02-30T00:00:00Z'),
                fc.jsonValue(),
              ),
              timeZone: fc.oneof(fc.constantFrom('Pacific/Kiritimati', 'Etc/GMT+12', 'Asia/Kolkata', 'Not/AZone'), fc.jsonValue()),
              tags: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue(),
        ),
      ),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

/** Smriti export shaped files with wrong types, huge numbers and out-of-range dates. */
const smritiLike = fc.record(
  {
    format: fc.oneof(fc.constant('smriti-export'), fc.jsonValue()),
    version: fc.oneof(fc.constant(1), fc.constantFrom(1e308, -0, 2 ** 53 + 1), fc.jsonValue()),
    entries: fc.oneof(
      fc.array(
        fc.oneof(
          fc.record(
            {
              title: fc.oneof(fc.string(), fc.jsonValue()),
              body: fc.oneof(fc.string(), fc.jsonValue()),
              entryDate: fc.oneof(fc.constantFrom('0001-01-01', '9999-12-31', '10000-01-01', '0000-12-31', 'infinity'), fc.jsonValue()),
              createdAt: fc.oneof(
                fc.constantFrom('9999-12-31T23:00:00Z', '0001-01-01T00:00:00Z', '+010000-01-01T00:00:00Z'),
                fc.jsonValue(),
              ),
              tags: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
              trashedAt: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue(),
        ),
      ),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

const anyFile = fc.oneof(fc.jsonValue(), dayOneLike, smritiLike);

describe('an import file of the wrong shape', () => {
  it('answers 400 with a sentence for primitives in entries, bare arrays and other shapes (issue 30, finding 5)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const files = [
      '{"entries":[1]}',
      '{"entries":["x"]}',
      '{"entries":[true]}',
      '{"entries":[null]}',
      '{"entries":[[1]]}',
      '["x"]',
      '[true]',
      '1e999',
      'null',
      '"entries"',
      '{"metadata":1}',
      '{"metadata":{"version":2},"entries":[{"creationDate":"2024-01-01T00:00:00Z","text":1,"timeZone":7}]}',
      '{"format":"smriti-export","version":1,"exportedAt":5,"entries":[1,{"title":[],"body":{},"createdAt":1e308}]}',
      '{"format":"smriti-export","version":1,"entries":{"0":{"title":"a","body":"b","createdAt":"2024-01-01T00:00:00Z"}}}',
    ];
    for (const file of files) {
      const res = await importAnswer(browser, file);
      expect([file, res.status]).toEqual([file, 400]);
      expect([file, res.text]).not.toEqual([file, expect.stringMatching(FOR_PROGRAMMERS)]);
    }
  });

  it('refuses a file nested far deeper than any journal before parsing it (JSON.parse takes seconds per million levels)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const levels = 200_000;
    for (const file of ['['.repeat(levels) + ']'.repeat(levels), `{"entries":[${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}]}`]) {
      const res = await importAnswer(browser, file);
      expect(res.status).toBe(400);
      expect(res.text).toContain('The file nests lists or objects more than 64 deep, which no journal does');
    }
    // Day One's own nesting (a place, its region, its centre; photos) is well inside the limit.
    const place = { placeName: 'Pier', region: { center: { latitude: 1, longitude: 2 }, radius: 75 } };
    const entry = {
      text: 'Deep enough',
      creationDate: '2021-01-01T00:00:00Z',
      location: place,
      photos: [{ md5: 'a', exif: { lens: {} } }],
    };
    expect((await importAnswer(browser, JSON.stringify({ metadata: {}, entries: [entry] }))).status).toBe(303);
  });

  it('never throws on any JSON: each file is entries whose days are all in range, or problems in words', () => {
    fc.assert(
      fc.property(anyFile, fc.constantFrom('UTC', 'Pacific/Kiritimati', 'Etc/GMT+12'), (json, zone) => {
        const parsed = parseExportFile(Buffer.from(JSON.stringify(json)), zone);
        if (parsed.kind === 'ok') {
          expect(parsed.entries.every((e) => isDay(e.entryDate))).toBe(true);
        } else {
          expect(parsed.problems.length).toBeGreaterThan(0);
          for (const problem of parsed.problems) expect(problem).not.toMatch(FOR_PROGRAMMERS);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('answers random JSON with a 303 or a 400 that writes nothing, never a 5xx', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await fc.assert(
      fc.asyncProperty(anyFile, async (json) => {
        expect([303, 400]).toContain((await importAnswer(browser, JSON.stringify(json))).status);
      }),
      { numRuns: 80 },
    );
  });
});
