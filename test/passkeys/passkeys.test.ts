import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Browser, signedInBrowser, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { type Overrides, SoftAuthenticator } from '../helpers/webauthn.js';

const METRICS_TOKEN = 'passkey-test-metrics-token';
const setup = useTestApp({ METRICS_TOKEN, STEP_UP_SECONDS: '600' });
const STALE = 601;

async function addPasskey(browser: Browser, authenticator: SoftAuthenticator, name = 'My phone', o: Overrides = {}) {
  const options = await browser.json('post', '/api/passkeys/add/options', {});
  expect(options.status).toBe(200);
  const response = authenticator.register(options.body, o);
  return browser.post('/account/passkeys', { name, response: JSON.stringify(response) });
}

async function signInOptions(browser: Browser) {
  const options = await browser.json('post', '/api/passkeys/sign-in/options', {});
  expect(options.status).toBe(200);
  expect(options.body.userVerification).toBe('required');
  return options.body;
}

async function signInWithPasskey(browser: Browser, authenticator: SoftAuthenticator, o: Overrides = {}) {
  const response = authenticator.assert(await signInOptions(browser), o);
  return { res: await browser.post('/login/passkey', { response: JSON.stringify(response), next: '/journal' }), response };
}

/** A user with a password and one passkey, and a fresh browser that is not signed in. */
async function userWithPasskey(authenticator = new SoftAuthenticator(TEST_ORIGIN)) {
  const { browser, email } = await signedInBrowser(setup.t.app);
  expect((await addPasskey(browser, authenticator)).status).toBe(303);
  return { owner: browser, email, authenticator, visitor: new Browser(setup.t.app) };
}

async function auditTypes(email: string): Promise<Array<{ type: string; detail: Record<string, unknown> }>> {
  const result = await setup.db.query<{ type: string; detail: Record<string, unknown> }>(
    `SELECT a.type, a.detail FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = $1 ORDER BY a.id`,
    [email],
  );
  return result.rows.map((r) => ({ type: r.type, detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail }));
}

describe('adding a passkey from /account', () => {
  it('stores the public key and lists it with its name, kind and dates', async () => {
    const { owner, email } = await userWithPasskey(new SoftAuthenticator(TEST_ORIGIN, undefined, true));
    const page = await owner.get('/account');
    expect(page.text).toContain('Passkey &#34;My phone&#34; added');
    expect(page.text).toContain('value="My phone"');
    expect(page.text).toContain('Synced');
    expect(page.text).toContain('Never');
    expect((await auditTypes(email)).map((e) => e.type)).toContain('passkey_added');
    const rows = await setup.db.query<{ public_key: Uint8Array; transports: string[] }>(
      'SELECT public_key, transports FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.email = $1',
      [email],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.public_key.length).toBeGreaterThan(60);
    expect(rows.rows[0]!.transports).toEqual(['internal']);
  });

  it('needs a recent sign-in: the options answer 403 step_up_required, the form posts go to /account/confirm', async () => {
    const { owner } = await userWithPasskey();
    const id = (await setup.db.query<{ id: string }>('SELECT id FROM webauthn_credentials ORDER BY created_at DESC LIMIT 1')).rows[0]!.id;
    setup.t.clock.advance(STALE);
    const options = await owner.json('post', '/api/passkeys/add/options', {});
    expect(options.status).toBe(403);
    expect(options.body.error).toBe('step_up_required');
    for (const path of ['/account/passkeys', `/account/passkeys/${id}/rename`, `/account/passkeys/${id}/remove`]) {
      const res = await owner.post(path, { name: 'x', response: '{}' });
      expect(res.status, path).toBe(303);
      expect(res.headers.location).toMatch(/^\/account\/confirm\?next=/);
    }
  });

  it('refuses an answer whose challenge was handed out to another account', async () => {
    const first = await signedInBrowser(setup.t.app);
    const second = await signedInBrowser(setup.t.app);
    const options = await first.browser.json('post', '/api/passkeys/add/options', {});
    const response = new SoftAuthenticator(TEST_ORIGIN).register(options.body);
    const res = await second.browser.post('/account/passkeys', { name: 'Stolen', response: JSON.stringify(response) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('expired or was already used');
  });

  it('refuses a registration made for another origin or another RP id, without naming the configured origin', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const o of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const res = await addPasskey(browser, new SoftAuthenticator(TEST_ORIGIN), 'Elsewhere', o);
      expect(res.status).toBe(400);
      expect(res.text).toContain('made for another site');
      expect(res.text).not.toContain('expected');
      expect(res.text).not.toContain(TEST_ORIGIN);
    }
  });

  it('refuses a registration without user verification', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const res = await addPasskey(browser, new SoftAuthenticator(TEST_ORIGIN), 'No UV', { userVerified: false });
    expect(res.status).toBe(400);
    expect(res.text).toContain('did not confirm it is you');
  });

  it('refuses an unreadable answer with a sentence', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const response of [
      '',
      'not json',
      '{"id":"x"}',
      JSON.stringify({ id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'bm9wZQ' } }),
    ]) {
      const res = await browser.post('/account/passkeys', { name: 'x', response });
      expect(res.status).toBe(400);
      expect(res.text).toContain('could not read');
    }
  });
});

describe('signing in with a passkey', () => {
  it('starts a session as both factors: 303 to next, login_succeeded with method passkey, a fresh auth_time', async () => {
    const { email, authenticator, visitor } = await userWithPasskey();
    const { res } = await signInWithPasskey(visitor, authenticator);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/journal');
    expect(visitor.jar.get('smriti_access_token')).toBeTruthy();
    expect((await visitor.get('/journal')).status).toBe(200);
    // A step-up action passes at once: the passkey was a full sign-in.
    expect((await visitor.json('post', '/api/passkeys/add/options', {})).status).toBe(200);
    const events = await auditTypes(email);
    expect(events.filter((e) => e.type === 'login_succeeded').at(-1)?.detail.method).toBe('passkey');
    const used = await setup.db.query<{ last_used_at: Date | null; counter: string }>(
      'SELECT c.last_used_at, c.counter FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE u.email = $1',
      [email],
    );
    expect(used.rows[0]!.last_used_at).not.toBeNull();
    expect(Number(used.rows[0]!.counter)).toBe(1);
  });

  it('refuses a replayed answer with 400: a challenge is spent once', async () => {
    const { authenticator, visitor } = await userWithPasskey();
    const { response } = await signInWithPasskey(visitor, authenticator);
    const again = new Browser(setup.t.app);
    const res = await again.post('/login/passkey', { response: JSON.stringify(response) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('That passkey request has expired or was already used');
    expect(again.jar.get('smriti_access_token')).toBeFalsy();
  });

  it('refuses an expired challenge with 400', async () => {
    const { authenticator, visitor } = await userWithPasskey();
    const options = await signInOptions(visitor);
    setup.t.clock.advance(301);
    const res = await visitor.post('/login/passkey', { response: JSON.stringify(authenticator.assert(options)) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('expired or was already used');
  });

  it('refuses a challenge handed out for another ceremony', async () => {
    const { owner, authenticator, visitor } = await userWithPasskey();
    const confirmOptions = await owner.json('post', '/api/passkeys/confirm/options', {});
    expect(confirmOptions.status).toBe(200);
    const res = await visitor.post('/login/passkey', { response: JSON.stringify(authenticator.assert(confirmOptions.body)) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('expired or was already used');
  });

  it('refuses an answer made for another origin or RP id with a sentence, never the origin or a stack', async () => {
    const { authenticator, visitor } = await userWithPasskey();
    for (const o of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const { res } = await signInWithPasskey(visitor, authenticator, o);
      expect(res.status).toBe(401);
      expect(res.text).toContain('made for another site');
      expect(res.text).not.toContain(TEST_ORIGIN);
      expect(res.text).not.toMatch(/Error:|at .*\.js/);
    }
  });

  it('refuses an assertion without user verification', async () => {
    const { authenticator, visitor } = await userWithPasskey();
    const { res } = await signInWithPasskey(visitor, authenticator, { userVerified: false });
    expect(res.status).toBe(401);
    expect(res.text).toContain('did not confirm it is you');
  });

  it('refuses an unknown credential and a removed one', async () => {
    const { owner, authenticator, visitor } = await userWithPasskey();
    const stranger = new SoftAuthenticator(TEST_ORIGIN);
    // A key this server never saw, claiming the owner's user handle.
    stranger.passkeys.push({ ...authenticator.passkeys[0]!, credentialId: Buffer.from('never-registered') });
    expect((await signInWithPasskey(visitor, stranger)).res.status).toBe(401);

    const page = await owner.get('/account');
    const id = /\/account\/passkeys\/([0-9a-f-]{36})\/remove/.exec(page.text)![1]!;
    const removed = await owner.post(`/account/passkeys/${id}/remove`);
    expect(removed.status).toBe(303);
    const { res } = await signInWithPasskey(visitor, authenticator);
    expect(res.status).toBe(401);
    expect(res.text).toContain('not registered with Smriti');
    expect(visitor.jar.get('smriti_access_token')).toBeFalsy();
  });

  it('accepts a synced passkey whose counter stays 0, again and again', async () => {
    const { authenticator } = await userWithPasskey(new SoftAuthenticator(TEST_ORIGIN, undefined, true));
    for (let i = 0; i < 2; i++) {
      const { res } = await signInWithPasskey(new Browser(setup.t.app), authenticator);
      expect(res.status).toBe(303);
    }
  });

  it('refuses a counter that went backwards with 401, logs it and counts it, no 500', async () => {
    const { authenticator, visitor } = await userWithPasskey();
    expect((await signInWithPasskey(new Browser(setup.t.app), authenticator, { counter: 5 })).res.status).toBe(303);
    const { res } = await signInWithPasskey(visitor, authenticator, { counter: 3 });
    expect(res.status).toBe(401);
    expect(res.text).toContain('use count lower than before');
    expect(setup.t.logs.text).toContain('passkey signature counter went backwards');
    const metrics = await request(setup.t.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(sampleValue(parsePrometheus(metrics.text), 'smriti_passkey_total', { outcome: 'counter_regressed' })).toBeGreaterThanOrEqual(1);
  });
});

describe('confirming with a passkey on /account/confirm', () => {
  it('renews auth_time in the same session', async () => {
    const { owner, authenticator } = await userWithPasskey();
    setup.t.clock.advance(STALE);
    expect((await owner.get('/account/confirm?next=/account')).text).toContain('Use a passkey instead');
    const options = await owner.json('post', '/api/passkeys/confirm/options', {});
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials).toHaveLength(1);
    const res = await owner.post('/account/confirm/passkey', {
      response: JSON.stringify(authenticator.assert(options.body)),
      next: '/account',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect((await owner.json('post', '/api/passkeys/add/options', {})).status).toBe(200);
  });

  it("refuses another account's passkey and another account's challenge", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    setup.t.clock.advance(STALE);
    const bobOptions = await bob.owner.json('post', '/api/passkeys/confirm/options', {});
    const withBobsKey = await alice.owner.post('/account/confirm/passkey', {
      response: JSON.stringify(bob.authenticator.assert(bobOptions.body)),
    });
    expect(withBobsKey.status).toBe(400);
    const aliceOptions = await alice.owner.json('post', '/api/passkeys/confirm/options', {});
    const wrongKey = await alice.owner.post('/account/confirm/passkey', {
      response: JSON.stringify(bob.authenticator.assert(aliceOptions.body)),
    });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.text).toContain('not registered with Smriti');
    expect((await alice.owner.json('post', '/api/passkeys/add/options', {})).status).toBe(403);
  });
});

describe('renaming and removing', () => {
  it('renames with a valid name, refuses an empty one (400) and an unknown id (404)', async () => {
    const { owner, email } = await userWithPasskey();
    const id = /\/account\/passkeys\/([0-9a-f-]{36})\/rename/.exec((await owner.get('/account')).text)![1]!;
    expect((await owner.post(`/account/passkeys/${id}/rename`, { name: '  ' })).status).toBe(400);
    expect((await owner.post(`/account/passkeys/${crypto.randomUUID()}/rename`, { name: 'Laptop' })).status).toBe(404);
    expect((await owner.post('/account/passkeys/not-a-uuid/remove')).status).toBe(404);
    expect((await owner.post(`/account/passkeys/${id}/rename`, { name: 'Work <laptop>' })).status).toBe(303);
    expect((await owner.get('/account')).text).toContain('value="Work &lt;laptop&gt;"');
    expect((await auditTypes(email)).map((e) => e.type)).toContain('passkey_renamed');
  });
});

describe('a passkey-only account', () => {
  async function registerWithPasskey(email = uniqueEmail('passkey')) {
    const browser = new Browser(setup.t.app);
    const authenticator = new SoftAuthenticator(TEST_ORIGIN);
    const options = await browser.json('post', '/api/passkeys/register/options', { email });
    expect(options.status).toBe(200);
    const res = await browser.post('/register/passkey', { email, response: JSON.stringify(authenticator.register(options.body)) });
    return { browser, authenticator, email, res };
  }

  it('signs up with a passkey alone, has no password, and signs back in with the passkey', async () => {
    const { browser, authenticator, email, res } = await registerWithPasskey();
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/journal');
    expect((await browser.get('/journal')).status).toBe(200);
    const user = await setup.db.query<{ password_hash: string | null }>('SELECT password_hash FROM users WHERE email = $1', [email]);
    expect(user.rows[0]!.password_hash).toBeNull();
    expect((await auditTypes(email)).map((e) => e.type)).toEqual(expect.arrayContaining(['registered', 'passkey_added']));
    const { res: again } = await signInWithPasskey(new Browser(setup.t.app), authenticator);
    expect(again.status).toBe(303);
  });

  it('cannot sign in with any password: the same answer as a wrong one', async () => {
    const { email } = await registerWithPasskey();
    const res = await new Browser(setup.t.app).post('/login', { email, password: TEST_PASSWORD });
    expect(res.status).toBe(401);
    expect(res.text).toContain('That email and password do not match an account.');
  });

  it('is offered only the passkey on /account/confirm', async () => {
    const { browser } = await registerWithPasskey();
    const page = await browser.get('/account/confirm?next=/account');
    expect(page.text).toContain('Confirm with a passkey');
    expect(page.text).not.toContain('name="current_password"');
  });

  it('cannot remove its last way in (409 with a sentence) until it sets a password', async () => {
    const { browser } = await registerWithPasskey();
    const page = await browser.get('/account');
    expect(page.text).toContain('Set a password');
    const id = /\/account\/passkeys\/([0-9a-f-]{36})\/remove/.exec(page.text)![1]!;
    const refused = await browser.post(`/account/passkeys/${id}/remove`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('This is the only way to sign in to your account');
    const set = await browser.post('/account/password', {
      new_password: 'a new long password',
      new_password_confirm: 'a new long password',
    });
    expect(set.status).toBe(303);
    expect((await browser.post(`/account/passkeys/${id}/remove`)).status).toBe(303);
  });

  it('refuses an address already taken (409) or not an address (400), in JSON', async () => {
    const { email } = await signedInBrowser(setup.t.app);
    const browser = new Browser(setup.t.app);
    const taken = await browser.json('post', '/api/passkeys/register/options', { email });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toContain('already exists');
    const bad = await browser.json('post', '/api/passkeys/register/options', { email: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('valid email');
  });

  it('can delete itself with the passkey step-up alone', async () => {
    const { browser, email } = await registerWithPasskey();
    const res = await browser.post('/account/delete', {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?flash=account_deleted');
    expect((await setup.db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount).toBe(0);
  });
});
