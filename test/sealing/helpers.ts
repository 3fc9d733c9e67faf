// What the sealing tests share: stand-ins for what the browser makes (wrapped keys, ciphertext) and
// a journal sealed through the real API. The server never opens any of it, so random bytes do.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Browser } from '../helpers/app.js';

/** base64 of iv || ciphertext, as the browser sends it: the server only stores it. */
export const ciphertext = (bytes = 64) => randomBytes(bytes).toString('base64');

export const RECOVERY = () => ({ kind: 'recovery', wrappedKey: ciphertext(60), salt: ciphertext(16) });
export const PASSPHRASE = () => ({
  kind: 'passphrase',
  wrappedKey: ciphertext(60),
  salt: ciphertext(16),
  params: { m: 65536, t: 3, p: 1 },
});

export async function addKey(browser: Browser, key: Record<string, unknown>): Promise<string> {
  const res = await browser.json('post', '/api/sealing/keys', key);
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** Adds the recovery key and a passphrase key, then seals: the journal's state is `sealed`. */
export async function sealJournal(browser: Browser): Promise<{ recovery: string; passphrase: string }> {
  const recovery = await addKey(browser, RECOVERY());
  const passphrase = await addKey(browser, PASSPHRASE());
  const res = await browser.json('post', '/api/sealing/seal', {});
  expect(res.status, res.text).toBe(200);
  return { recovery, passphrase };
}

/** Seals every pending plaintext entry, as the browser's sealing loop does. */
export async function sealPending(browser: Browser): Promise<void> {
  const pending = (await browser.json('get', '/api/sealing/pending?limit=200')).body.entries as Array<{ id: string; version: number }>;
  if (pending.length === 0) return;
  const res = await browser.json('post', '/api/sealing/batch', {
    entries: pending.map(({ id, version }) => ({ id, version, sealed: ciphertext() })),
  });
  expect(res.body.conflicts).toEqual([]);
}
