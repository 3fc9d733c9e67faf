// Whatever a script sends the sealing API and a sealed journal's entries API, the answer is a 4xx
// with a sentence or a success, never a 500.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';
import { ciphertext, sealJournal } from './helpers.js';

const setup = useTestApp();

const BODIES: unknown[] = [
  [],
  ['x'],
  { entries: null },
  { entries: 'x' },
  { entries: [null] },
  { entries: [[]] },
  { entries: [{ id: 5, version: '1', sealed: 7 }] },
  { entries: [{ id: randomUUID(), version: 1.5, sealed: ciphertext() }] },
  { entries: [{ id: randomUUID(), version: 99999999999, sealed: ciphertext() }] },
  { entries: [{ id: randomUUID(), version: 1, title: { a: 1 }, body: [], tags: 'x', starred: 'yes' }] },
  { entries: Array.from({ length: 201 }, () => ({ id: randomUUID(), version: 1, sealed: ciphertext() })) },
  { kind: {}, wrappedKey: [], salt: null },
  { kind: 'passphrase', wrappedKey: ciphertext(60), salt: ciphertext(16), params: { m: -1, t: 'x', p: 1 } },
  { kind: 'passphrase', wrappedKey: ciphertext(60), salt: ciphertext(16), params: { m: 65536, t: 3, p: 1, extra: 1 } },
  { kind: 'recovery', wrappedKey: ciphertext(60), salt: ciphertext(16), credentialId: 'x' },
  { kind: 'passkey', wrappedKey: ciphertext(60), salt: ciphertext(16), credentialId: 'not base64url!' },
  { sealed: 5 },
  { sealed: [] },
  { sealed: '', id: randomUUID() },
  { sealed: ciphertext(), id: 'x' },
  { sealed: ciphertext(), id: randomUUID(), entryDate: '2025-02-30' },
  { sealed: ciphertext(), id: randomUUID(), version: 'x' },
  { sealed: ciphertext(), id: randomUUID(), photos: 'x' },
  { sealed: `${'A'.repeat(40)}\u0000` },
];

describe('bad input to the sealing API', () => {
  it('never answers a 5xx, sealed or being unsealed', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Fuzz', 'text');
    await sealJournal(browser);
    for (const state of ['sealed', 'unsealing']) {
      if (state === 'unsealing') {
        await browser.json('post', '/api/sealing/batch', { entries: [{ id, version: 1, sealed: ciphertext() }] });
        await browser.json('post', '/api/sealing/unseal', {});
      }
      for (const body of BODIES) {
        for (const [method, path] of [
          ['post', '/api/sealing/batch'],
          ['post', '/api/sealing/keys'],
          ['post', '/api/entries'],
          ['put', `/api/entries/${id}`],
          ['put', '/api/entries/not-a-uuid'],
        ] as const) {
          const res = await browser.json(method, path, body);
          expect(res.status, `${state} ${method} ${path} ${JSON.stringify(body).slice(0, 80)}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.body.message).toMatch(/\w+ \w+/);
        }
      }
      for (const path of ['/api/sealing/keys/x', '/api/sealing/keys/%00', `/api/sealing/keys/${randomUUID()}`]) {
        expect((await browser.json('delete', path)).status).toBe(404);
        expect((await browser.json('post', `${path}/used`)).status).toBe(404);
      }
      for (const limit of ['-1', '1e3', 'x', '201', '%00'])
        expect((await browser.json('get', `/api/sealing/pending?limit=${limit}`)).status).toBe(400);
    }
  });
});
