// Sealing a journal through its JSON API (DESIGN §16): keys, seal, the resumable batches, unseal.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedInBrowser, useTestApp, writeEntry } from '../helpers/app.js';
import { addKey, ciphertext, PASSPHRASE, RECOVERY, sealJournal, sealPending } from './helpers.js';

const setup = useTestApp({ STEP_UP_SECONDS: '600' });
const STALE = 601;

async function row(id: string) {
  const result = await setup.db.query<{
    title: string;
    body: string;
    tags: string[];
    starred: boolean;
    sealed: string | null;
    version: number;
  }>('SELECT title, body, tags, starred, sealed, version FROM entries WHERE id = $1', [id]);
  return result.rows[0];
}

async function versionsOf(id: string) {
  const result = await setup.db.query<{ version: number; body: string; sealed: string | null }>(
    'SELECT version, body, sealed FROM entry_versions WHERE entry_id = $1 ORDER BY version',
    [id],
  );
  return result.rows;
}

describe('the sealing state and keys', () => {
  it('answers an open journal with no keys, then keeps wrapped keys and shows them without their secrets', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    expect((await browser.json('get', '/api/sealing')).body).toEqual({
      sealed: false,
      state: 'open',
      remaining: 0,
      photosRemaining: 0,
      keys: [],
    });
    const recovery = RECOVERY();
    const id = await addKey(browser, recovery);
    const status = (await browser.json('get', '/api/sealing')).body;
    expect(status.keys).toEqual([{ id, kind: 'recovery', createdAt: expect.any(String), lastUsedAt: null, credentialId: null }]);
    const wrapped = (await browser.json('get', '/api/sealing/wrapped')).body.keys;
    expect(wrapped).toEqual([
      { id, kind: 'recovery', wrappedKey: recovery.wrappedKey, salt: recovery.salt, params: null, credentialId: null },
    ]);
    expect((await browser.json('post', `/api/sealing/keys/${id}/used`)).status).toBe(204);
    expect((await browser.json('get', '/api/sealing')).body.keys[0].lastUsedAt).toEqual(expect.any(String));
  });

  it('refuses a malformed key, and a passkey wrapper for a passkey that is not the user’s', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const bad of [
      {},
      { kind: 'password', wrappedKey: ciphertext(60), salt: ciphertext(16) },
      { ...RECOVERY(), wrappedKey: 'not base64!' },
      { ...PASSPHRASE(), params: undefined },
    ]) {
      const res = await browser.json('post', '/api/sealing/keys', bad);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/\w+ \w+/);
    }
    const res = await browser.json('post', '/api/sealing/keys', {
      kind: 'passkey',
      wrappedKey: ciphertext(60),
      salt: ciphertext(16),
      credentialId: 'c29tZW9uZS1lbHNl',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('credential_invalid');
  });

  it('seals only with the recovery key and one other wrapper (409 keys_needed), and keeps them while sealed', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    expect((await browser.json('post', '/api/sealing/seal', {})).body.error).toBe('keys_needed');
    const recovery = await addKey(browser, RECOVERY());
    const refused = await browser.json('post', '/api/sealing/seal', {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('keys_needed');
    const passphrase = await addKey(browser, PASSPHRASE());
    expect((await browser.json('post', '/api/sealing/seal', {})).status).toBe(200);
    expect((await browser.json('get', '/api/sealing')).body).toMatchObject({ sealed: true, state: 'sealed', remaining: 0 });
    for (const id of [recovery, passphrase]) {
      const res = await browser.json('delete', `/api/sealing/keys/${id}`);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('keys_needed');
    }
    const second = await addKey(browser, PASSPHRASE());
    expect((await browser.json('delete', `/api/sealing/keys/${passphrase}`)).status).toBe(204);
    expect((await browser.json('get', '/api/sealing')).body.keys.map((k: { id: string }) => k.id).sort()).toEqual(
      [recovery, second].sort(),
    );
  });

  it('keeps at most 20 keys per journal', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (let n = 0; n < 20; n += 1) await addKey(browser, PASSPHRASE());
    const res = await browser.json('post', '/api/sealing/keys', RECOVERY());
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('too_many_keys');
  });

  it('needs a recent sign-in for every key change and for seal and unseal (403 step_up_required)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const { recovery } = await sealJournal(browser);
    setup.t.clock.advance(STALE);
    const attempts = [
      browser.json('post', '/api/sealing/keys', PASSPHRASE()),
      browser.json('delete', `/api/sealing/keys/${recovery}`),
      browser.json('post', '/api/sealing/seal', {}),
      browser.json('post', '/api/sealing/unseal', {}),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('step_up_required');
    }
    // Reading, opening the journal and sealing its entries need no fresh sign-in.
    expect((await browser.json('get', '/api/sealing/wrapped')).status).toBe(200);
    expect((await browser.json('post', `/api/sealing/keys/${recovery}/used`)).status).toBe(204);
    expect((await browser.json('get', '/api/sealing')).body.state).toBe('sealed');
  });

  it('keeps another user’s keys and sealed entries out of reach', async () => {
    const { browser: owner } = await signedInBrowser(setup.t.app);
    const { browser: other } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(owner, 'Mine', 'Only mine.');
    const { recovery } = await sealJournal(owner);
    await sealPending(owner);
    await sealJournal(other);
    expect((await other.json('get', '/api/sealing/wrapped')).body.keys.map((k: { id: string }) => k.id)).not.toContain(recovery);
    expect((await other.json('delete', `/api/sealing/keys/${recovery}`)).status).toBe(404);
    expect((await other.json('post', `/api/sealing/keys/${recovery}/used`)).status).toBe(404);
    expect((await other.json('get', `/api/entries/${id}`)).status).toBe(404);
    expect((await other.json('put', `/api/entries/${id}`, { sealed: ciphertext() })).status).toBe(404);
    const before = await row(id);
    const batch = await other.json('post', '/api/sealing/batch', { entries: [{ id, version: before!.version, sealed: ciphertext() }] });
    expect(batch.body).toMatchObject({ sealed: [], conflicts: [{ id, version: null }] });
    expect(await row(id)).toEqual(before);
    expect((await owner.json('get', '/api/sealing/wrapped')).body.keys).toHaveLength(2);
  });
});

describe('sealing the entries, in batches', () => {
  it('lists every plaintext entry (trash too), seals a batch by version, and resumes with only what is left', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push(await writeEntry(browser, `Walk ${n}`, `By the river #walk ${n}`));
    expect((await browser.json('delete', `/api/entries/${ids[2]}`)).status).toBe(204);
    await sealJournal(browser);
    expect((await browser.json('get', '/api/sealing')).body.remaining).toBe(3);
    const pending = (await browser.json('get', '/api/sealing/pending?limit=2')).body.entries;
    expect(pending).toHaveLength(2);
    // The fake clock writes them in the same instant: find the first by its id.
    const walk1 = (await browser.json('get', '/api/sealing/pending')).body.entries.find((e: { id: string }) => e.id === ids[0]);
    expect(walk1).toMatchObject({
      id: ids[0],
      version: 1,
      title: 'Walk 1',
      body: 'By the river #walk 1',
      tags: ['walk'],
      starred: false,
      trashed: false,
    });
    // One at the version read, one stale: the stale one is a conflict, not an error.
    const res = await browser.json('post', '/api/sealing/batch', {
      entries: [
        { id: ids[0], version: 1, sealed: ciphertext() },
        { id: ids[1], version: 7, sealed: ciphertext() },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sealed: [{ id: ids[0], version: 2 }], conflicts: [{ id: ids[1], version: 1 }], remaining: 2 });
    expect(await row(ids[0]!)).toMatchObject({ title: '', body: '', tags: [], starred: false, version: 2, sealed: expect.any(String) });
    expect((await versionsOf(ids[0]!)).map((v) => [v.version, v.body, v.sealed !== null])).toEqual([[2, '', true]]);
    // A closed tab comes back: pending lists only what is left, the trashed entry included.
    const left = (await browser.json('get', '/api/sealing/pending')).body.entries;
    expect(left.map((e: { id: string }) => e.id).sort()).toEqual([ids[1], ids[2]].sort());
    expect(left.find((e: { id: string }) => e.id === ids[2]).trashed).toBe(true);
    await sealPending(browser);
    expect((await browser.json('get', '/api/sealing')).body.remaining).toBe(0);
    expect((await browser.json('get', '/api/sealing/pending')).body.entries).toEqual([]);
    // Sealed once: sealing it again is a conflict, whatever the version.
    const again = await browser.json('post', '/api/sealing/batch', { entries: [{ id: ids[0], version: 2, sealed: ciphertext() }] });
    expect(again.body.conflicts).toEqual([{ id: ids[0], version: 2 }]);
  });

  it('seals an entry once when two batches race on it: exactly one wins', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Race', 'Two tabs.');
    await sealJournal(browser);
    const [a, b, c] = await Promise.all(
      [1, 2, 3].map(() => browser.json('post', '/api/sealing/batch', { entries: [{ id, version: 1, sealed: ciphertext() }] })),
    );
    const answers = [a!, b!, c!].map((res) => res.body);
    expect(answers.filter((body) => body.sealed.length === 1)).toHaveLength(1);
    expect(answers.filter((body) => body.conflicts.length === 1)).toHaveLength(2);
    expect((await row(id))!.version).toBe(2);
    expect(await versionsOf(id)).toHaveLength(1);
  });

  it('takes a batch larger than the 1 MB of other requests (long entries, in base64)', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const ids = [await writeEntry(browser, 'Long', 'x'), await writeEntry(browser, 'Longer', 'y')];
    await sealJournal(browser);
    const res = await browser.json('post', '/api/sealing/batch', {
      entries: ids.map((id) => ({ id, version: 1, sealed: ciphertext(900_000) })),
    });
    expect(res.status).toBe(200);
    expect(res.body.sealed).toHaveLength(2);
    const tooBig = await browser.json('post', '/api/sealing/batch', {
      entries: ids.map((id) => ({ id, version: 2, sealed: ciphertext(6_500_000) })),
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.message).toBe('The request body is larger than the 16 MB limit.');
  });

  it('refuses a malformed batch with a sentence, and a batch into an open journal', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const open = await browser.json('post', '/api/sealing/batch', { entries: [{ id: randomUUID(), version: 1, sealed: ciphertext() }] });
    expect(open.status).toBe(409);
    expect(open.body.error).toBe('journal_open');
    await sealJournal(browser);
    for (const body of [
      {},
      { entries: [] },
      { entries: [{ id: 'x', version: 1, sealed: ciphertext() }] },
      { entries: [{ id: randomUUID(), version: 0, sealed: ciphertext() }] },
      { entries: [{ id: randomUUID(), version: 1, sealed: 'short' }] },
    ]) {
      const res = await browser.json('post', '/api/sealing/batch', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/\w+ \w+/);
    }
    expect((await browser.json('get', '/api/sealing/pending?limit=0')).status).toBe(400);
  });
});

describe('what the server keeps of a sealed journal', () => {
  it('holds none of the words, titles or tags in any entry or version row, nor in its log', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const words = ['Zanzibarquill', 'mérouflage', '雪見障子', 'quokkatag'];
    const id = await writeEntry(browser, `${words[0]} title`, `Body with ${words[1]} and ${words[2]}.`);
    await browser.json('put', `/api/entries/${id}`, { title: `${words[0]} again`, body: 'changed', tags: [words[3]], version: 1 });
    await sealJournal(browser);
    await sealPending(browser);
    const rows = await setup.db.query<{ text: string }>(
      `SELECT row_to_json(e)::text AS text FROM entries e WHERE id = $1
       UNION ALL SELECT row_to_json(v)::text FROM entry_versions v WHERE entry_id = $1`,
      [id],
    );
    expect(rows.rows).toHaveLength(2);
    // Tag links and searches of a sealed journal are read in the browser; the request log keeps no word of them.
    await browser.get(`/journal?tag=${words[3]}`);
    await browser.get(`/journal?q=${words[0]}&tag=${words[3]}`);
    await browser.json('get', `/api/entries?q=${words[0]}`);
    expect(setup.t.logs.text).toContain('/journal?tag=[redacted]');
    for (const word of [...words, words[0]!.toLowerCase(), 'merouflage']) {
      for (const { text } of rows.rows) expect(text).not.toContain(word);
      expect(setup.t.logs.text).not.toContain(word);
    }
  });
});

describe('unsealing', () => {
  it('writes plaintext back in batches, re-indexes it, then opens the journal and deletes its keys', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const ids = [await writeEntry(browser, 'Heron', 'A grey heron'), await writeEntry(browser, 'Kite', 'A red kite')];
    await sealJournal(browser);
    await sealPending(browser);
    expect((await browser.json('get', '/api/entries?q=heron')).body.total).toBe(0);
    expect((await browser.json('post', '/api/sealing/unseal', {})).body).toEqual({ state: 'unsealing', remaining: 2 });
    const pending = (await browser.json('get', '/api/sealing/pending')).body.entries;
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(pending.sort(byId)).toEqual(ids.map((id) => ({ id, version: 2, sealed: expect.any(String) })).sort(byId));
    const first = await browser.json('post', '/api/sealing/batch', {
      entries: [{ id: ids[0], version: 2, title: 'Heron', body: 'A grey heron #birds', tags: ['birds'], starred: true }],
    });
    expect(first.body).toMatchObject({ sealed: [{ id: ids[0], version: 3 }], conflicts: [], state: 'unsealing', remaining: 1 });
    expect(await row(ids[0]!)).toMatchObject({ title: 'Heron', tags: ['birds'], starred: true, sealed: null });
    const last = await browser.json('post', '/api/sealing/batch', {
      entries: [{ id: ids[1], version: 2, title: 'Kite', body: 'A red kite' }],
    });
    expect(last.body).toMatchObject({ state: 'open', remaining: 0 });
    expect((await browser.json('get', '/api/sealing')).body).toEqual({
      sealed: false,
      state: 'open',
      remaining: 0,
      photosRemaining: 0,
      keys: [],
    });
    expect((await browser.json('get', '/api/entries?q=heron')).body.total).toBe(1);
    expect((await versionsOf(ids[0]!)).every((v) => v.sealed === null)).toBe(true);
  });

  it('accepts plaintext saves while unsealing, and opens the journal once pending finds nothing sealed left', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const id = await writeEntry(browser, 'Owl', 'At dusk');
    await sealJournal(browser);
    await sealPending(browser);
    await browser.json('post', '/api/sealing/unseal', {});
    const sealedWrite = await browser.json('put', `/api/entries/${id}`, { sealed: ciphertext(), version: 2 });
    expect(sealedWrite.body.error).toBe('journal_open');
    const saved = await browser.json('put', `/api/entries/${id}`, { title: 'Owl', body: 'At dusk, again', version: 2 });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ title: 'Owl', version: 3 });
    expect(await row(id)).toMatchObject({ sealed: null });
    expect((await browser.json('get', '/api/sealing/pending')).body.entries).toEqual([]);
    expect((await browser.json('get', '/api/sealing')).body).toEqual({
      sealed: false,
      state: 'open',
      remaining: 0,
      photosRemaining: 0,
      keys: [],
    });
    expect((await versionsOf(id)).every((v) => v.sealed === null)).toBe(true);
  });

  it('writes back an entry the browser had sealed empty, and refuses a malformed one with a sentence', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    await sealJournal(browser);
    const id = randomUUID();
    await browser.json('post', '/api/entries', { id, sealed: ciphertext() });
    await browser.json('post', '/api/sealing/unseal', {});
    const bad = await browser.json('post', '/api/sealing/batch', { entries: [{ id, version: 1, title: 7 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('The title must be text.');
    const res = await browser.json('post', '/api/sealing/batch', { entries: [{ id, version: 1, title: '', body: '' }] });
    expect(res.body).toMatchObject({ sealed: [{ id, version: 2 }], state: 'open' });
  });

  it('opens an empty sealed journal at once, and refuses to unseal an open one', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    expect((await browser.json('post', '/api/sealing/unseal', {})).body.error).toBe('journal_open');
    await sealJournal(browser);
    expect((await browser.json('post', '/api/sealing/unseal', {})).body).toEqual({ state: 'open', remaining: 0 });
  });
});
