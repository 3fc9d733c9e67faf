// A passkey that wraps the journal key (DESIGN §16): it must be one of the user's own, it shows in
// /account/sealing's choice, and removing the passkey takes its wrapper, unless only the recovery key would be left.
import { describe, expect, it } from 'vitest';
import { type Browser, signedInBrowser, TEST_ORIGIN, useTestApp } from '../helpers/app.js';
import { SoftAuthenticator } from '../helpers/webauthn.js';
import { addKey, ciphertext, PASSPHRASE, RECOVERY } from './helpers.js';

const setup = useTestApp();

async function withPasskey(): Promise<{ browser: Browser; credentialId: string; passkeyId: string }> {
  const { browser } = await signedInBrowser(setup.t.app);
  const options = await browser.json('post', '/api/passkeys/add/options', {});
  const response = new SoftAuthenticator(TEST_ORIGIN).register(options.body);
  expect((await browser.post('/account/passkeys', { name: 'My phone', response: JSON.stringify(response) })).status).toBe(303);
  const row = await setup.db.query<{ id: string; credential_id: string }>(
    'SELECT id, credential_id FROM webauthn_credentials WHERE credential_id = $1',
    [response.id],
  );
  return { browser, credentialId: row.rows[0]!.credential_id, passkeyId: row.rows[0]!.id };
}

const passkeyWrapper = (credentialId: string) => ({ kind: 'passkey', wrappedKey: ciphertext(60), salt: ciphertext(32), credentialId });

describe('passkey wrappers', () => {
  it('takes a wrapper for the user’s own passkey only, and offers the passkey on /account/sealing', async () => {
    const { browser, credentialId } = await withPasskey();
    const { credentialId: others } = await withPasskey();
    expect((await browser.json('post', '/api/sealing/keys', passkeyWrapper(others))).status).toBe(400);
    const id = await addKey(browser, passkeyWrapper(credentialId));
    expect((await browser.json('get', '/api/sealing/wrapped')).body.keys).toEqual([
      expect.objectContaining({ id, kind: 'passkey', credentialId }),
    ]);
    expect((await browser.get('/account/sealing')).text).toContain('name="use_passkey"');
  });

  it('refuses to remove the passkey whose wrapper is the sealed journal’s only key besides the recovery key', async () => {
    const { browser, credentialId, passkeyId } = await withPasskey();
    await addKey(browser, RECOVERY());
    await addKey(browser, passkeyWrapper(credentialId));
    expect((await browser.json('post', '/api/sealing/seal', {})).status).toBe(200);
    const refused = await browser.post(`/account/passkeys/${passkeyId}/remove`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('This passkey opens your sealed journal');
    expect((await setup.db.query('SELECT 1 FROM webauthn_credentials WHERE id = $1', [passkeyId])).rows).toHaveLength(1);
    // With a passphrase wrapper too, the passkey goes and takes its wrapper with it.
    await addKey(browser, PASSPHRASE());
    expect((await browser.post(`/account/passkeys/${passkeyId}/remove`)).status).toBe(303);
    const kinds = (await browser.json('get', '/api/sealing')).body.keys.map((k: { kind: string }) => k.kind).sort();
    expect(kinds).toEqual(['passphrase', 'recovery']);
  });
});
