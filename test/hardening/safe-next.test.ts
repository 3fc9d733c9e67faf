import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeNextPath } from '../../src/http/safe-next.js';
import { Browser, signedInBrowser, useTestApp } from '../helpers/app.js';

const SITE = 'https://smriti.test';
// The pieces open redirects are made of: dot segments (plain and encoded), slashes, backslashes,
// control characters browsers drop, userinfo and scheme characters, and a foreign host name.
const PIECES = [
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2e',
  '\\',
  '%5c',
  '%5C',
  '%2f',
  '%2F',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\u001f',
  '\u007f',
  ' ',
  '@',
  ':',
  '?',
  '#',
  '&',
  '=',
  'evil.example',
  'journal',
  'a',
  'http:',
  'https:',
  'javascript:',
  '%09',
  '%0a',
  '%00',
  '\u3002',
  '\uff0f',
  '\uff3c',
  '%',
  '%%',
  '%zz',
];
const candidate = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 10 }).map((parts) => parts.join(''));

describe('the next path after sign-in', { timeout: 120_000 }, () => {
  it('accepts only values that stay same-origin paths, whatever the dots, encodings, backslashes and control characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          candidate,
          candidate.map((c) => `/${c}`),
          fc.string(),
        ),
        fc.array(
          fc.webSegment().filter((s) => s !== ''),
          { maxLength: 3 },
        ),
        (value, segments) => {
          const accepted = safeNextPath(value, '/fallback');
          if (accepted === '/fallback') return;
          expect(accepted.startsWith('/')).toBe(true);
          expect(accepted.startsWith('//')).toBe(false);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the property is that none survive
          expect(accepted).not.toMatch(/[\\\x00-\x1f\x7f]/);
          // A browser resolves Location against the page it is on: any page of the site.
          const resolved = new URL(accepted, new URL(`/${segments.join('/')}`, SITE));
          expect(resolved.origin).toBe(SITE);
          expect(resolved.pathname + resolved.search + resolved.hash).toBe(accepted);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses the review’s normalised open redirects', () => {
    for (const value of ['/.//evil.example/phish', '/..//x', '/%2e//x', '/%2E%2E//x', '/a/..//x', '/./\\x', '/\t/x', '/%2e%2e/%2e%2e//x']) {
      expect(safeNextPath(value), value).toBe('/journal');
    }
    expect(safeNextPath('/journal/./new')).toBe('/journal/new');
    expect(safeNextPath('/account?tab=1#x')).toBe('/account?tab=1#x');
  });
});

describe('GET /login with a live session', () => {
  const setup = useTestApp();

  it('never answers Location: //evil.example for a dot-segment next', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const next of ['/.//evil.example/phish', '/..//x', '/%2e//x']) {
      const res = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/journal');
    }
    expect((await new Browser(setup.t.app).get('/login?next=/.//evil.example')).text).not.toContain('//evil.example');
  });
});
