import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { replaceRecoveryCodes } from '../../src/mfa/recovery-codes.js';
import { beginTotpSetup, createSecretBox, enableTotp } from '../../src/mfa/totp.js';
import {
  Browser,
  buildTestApp,
  fakeClock,
  signedInBrowser,
  TEST_JWT_SECRET,
  TEST_PASSWORD,
  type TestApp,
  uniqueEmail,
} from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';
import { createTestDb } from '../helpers/db.js';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider.js';
import { freePort } from '../helpers/server-process.js';

const FLOW_COOKIE = 'smriti_oidc_flow';

let db: Db;
let provider: TestProvider;
let t: TestApp;
beforeAll(async () => {
  [db, provider] = await Promise.all([createTestDb(), startTestProvider()]);
  t = buildTestApp(db, provider.env);
});
afterAll(() => Promise.all([db.close(), provider.close()]));

let logins = 0;
/** A provider account with these claims; answers its login name (the subject). */
function providerAccount(email: string, emailVerified = true): string {
  logins += 1;
  const login = `person-${process.pid}-${logins}`;
  provider.accounts.set(login, { email, email_verified: emailVerified });
  return login;
}

/** Starts "Continue with" in `browser` and answers the callback path the provider sends it to. */
async function throughProvider(browser: Browser, login: string, start = '/auth/oidc/start'): Promise<string> {
  const started = await browser.post(start);
  expect(started.status).toBe(303);
  expect(started.headers.location).toMatch(new RegExp(`^${provider.issuer}/auth\\?`));
  const flow = parseSetCookies(started).find((c) => c.name === FLOW_COOKIE)!;
  expect(flow.attributes).toMatchObject({ httponly: true, samesite: 'Lax', path: '/auth/oidc', 'max-age': '600' });
  return provider.authorize(started.headers.location!, login);
}

async function userByEmail(email: string) {
  const rows = await db.query<{ id: string; password_hash: string | null; email_verified_at: Date | null }>(
    'SELECT id, password_hash, email_verified_at FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  return rows.rows[0];
}

async function identitiesOf(userId: string): Promise<string[]> {
  return (await db.query<{ subject: string }>('SELECT subject FROM user_identities WHERE user_id = $1', [userId])).rows.map(
    (r) => r.subject,
  );
}

/** Linking needs a proved address (docs/security.md); these accounts stand for ones whose owner opened the link. */
async function markVerified(email: string): Promise<void> {
  await db.query('UPDATE users SET email_verified_at = now() WHERE lower(email) = lower($1)', [email]);
}

function flowHash(browser: Browser): string {
  return createHash('sha256').update(browser.jar.get(FLOW_COOKIE)!).digest('hex');
}

describe('Continue with the provider: the button', () => {
  it('shows on /login and /register only when OIDC_* are set', async () => {
    for (const path of ['/login', '/register']) {
      expect((await new Browser(t.app).get(path)).text).toContain('Continue with TestID');
      expect((await new Browser(buildTestApp(db).app).get(path)).text).not.toContain('Continue with');
    }
    expect((await new Browser(buildTestApp(db).app).post('/auth/oidc/start')).status).toBe(404);
  });
});

describe('Continue with the provider: signing in', () => {
  it('makes a verified account without a password for a new identity, with the same cookies as a password sign-in', async () => {
    const email = uniqueEmail('newcomer');
    const login = providerAccount(email);
    const browser = new Browser(t.app);
    const callbackOfFirst = await throughProvider(browser, login);
    const landed = await browser.get(callbackOfFirst);
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/journal');
    expect((await browser.get('/journal')).status).toBe(200);

    const user = (await userByEmail(email))!;
    expect(user.password_hash).toBeNull();
    expect(user.email_verified_at).toBeInstanceOf(Date);
    expect(await identitiesOf(user.id)).toEqual([login]);

    const { browser: other } = await signedInBrowser(t.app);
    await other.post('/logout');
    const { email: pwEmail } = await signedInBrowser(t.app);
    const byPassword = await new Browser(t.app).post('/login', { email: pwEmail, password: TEST_PASSWORD });
    const shape = (res: typeof landed) =>
      parseSetCookies(res)
        .filter((c) => [ACCESS_COOKIE, REFRESH_COOKIE].includes(c.name))
        .map((c) => ({ name: c.name, ...c.attributes, expires: undefined }));
    expect(shape(landed)).toEqual(shape(byPassword));
    expect(shape(landed)).toHaveLength(2);

    // No password: any password fails exactly like a wrong one.
    const refused = await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD });
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('That email and password do not match an account.');

    // The same identity again: the same account.
    const again = new Browser(t.app);
    expect((await again.get(await throughProvider(again, login))).headers.location).toBe('/journal');
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email]);
    expect(count.rows[0]!.n).toBe(1);
    const methods = await db.query<{ method: string }>(
      "SELECT detail->>'method' AS method FROM audit_events WHERE user_id = $1 AND type IN ('registered', 'login_succeeded') ORDER BY id",
      [user.id],
    );
    expect(methods.rows.map((r) => r.method)).toEqual(['oidc', 'oidc', 'oidc']);
    expect(t.logs.text).toContain('/auth/oidc/callback?code=[redacted]');
    expect(t.logs.text).not.toContain(new URL(callbackOfFirst, 'http://x').searchParams.get('code'));
  });

  it('tells no one of a new device on the sign-in that made the account; a second browser is news', async () => {
    const email = uniqueEmail('fresh-device');
    const login = providerAccount(email);
    const first = new Browser(t.app);
    expect((await first.get(await throughProvider(first, login))).headers.location).toBe('/journal');
    const userId = (await userByEmail(email))!.id;
    const devices = () =>
      t.logs.lines
        .map((line) => JSON.parse(line) as { msg: string; userId?: string; newDevice: boolean; announced: boolean })
        .filter((line) => line.msg === 'sign-in device recorded' && line.userId === userId)
        .map(({ newDevice, announced }) => ({ newDevice, announced }));
    await vi.waitFor(() => expect(devices()).toHaveLength(1));
    expect(devices()).toEqual([{ newDevice: true, announced: false }]);

    const second = new Browser(t.app);
    expect((await second.get(await throughProvider(second, login))).headers.location).toBe('/journal');
    await vi.waitFor(() => expect(devices()).toHaveLength(2));
    expect(devices()[1]).toEqual({ newDevice: true, announced: true });
  });

  it('never links an existing account on the matching email alone; links after its owner signs in and confirms', async () => {
    const { browser: owner, email } = await signedInBrowser(t.app);
    await owner.post('/logout');
    await markVerified(email);
    const userId = (await userByEmail(email))!.id;
    const login = providerAccount(email.toUpperCase());
    const visitor = new Browser(t.app);
    const answer = await visitor.get(await throughProvider(visitor, login));
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/login?next=%2Fauth%2Foidc%2Flink');
    expect(parseSetCookies(answer).map((c) => c.name)).not.toContain(ACCESS_COOKIE);
    expect(await identitiesOf(userId)).toEqual([]);
    const page = await visitor.get(answer.headers.location!);
    expect(page.text).toContain('Smriti never links accounts on a matching email alone');
    // Without signing in, the link page sends the browser to sign in.
    expect((await visitor.get('/auth/oidc/link')).headers.location).toMatch(/^\/login/);

    // Someone else signed in cannot take the waiting link.
    const { browser: stranger } = await signedInBrowser(t.app);
    stranger.jar.set(FLOW_COOKIE, visitor.jar.get(FLOW_COOKIE)!);
    const wrong = await stranger.get('/auth/oidc/link');
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('signed in to a different Smriti account');

    const signedIn = await visitor.post('/login', { email, password: TEST_PASSWORD, next: '/auth/oidc/link' });
    expect(signedIn.headers.location).toBe('/auth/oidc/link');
    const confirm = await visitor.get('/auth/oidc/link');
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Link TestID to your journal?');
    expect(await identitiesOf(userId)).toEqual([]);
    const linked = await visitor.post('/auth/oidc/link');
    expect(linked.headers.location).toBe('/account');
    expect(await identitiesOf(userId)).toEqual([login]);
    expect((await visitor.get('/account')).text).toContain('Your TestID account is linked');
    expect((await visitor.post('/auth/oidc/link')).status).toBe(400);

    const later = new Browser(t.app);
    expect((await later.get(await throughProvider(later, login))).headers.location).toBe('/journal');
  });

  it('refuses an unverified email from the provider with a sentence, making and linking nothing', async () => {
    const email = uniqueEmail('unverified');
    const browser = new Browser(t.app);
    const res = await browser.get(await throughProvider(browser, providerAccount(email, false)));
    expect(res.status).toBe(400);
    expect(res.text).toContain('TestID has not verified the email address of that account');
    expect(await userByEmail(email)).toBeUndefined();

    const { browser: owner, email: taken } = await signedInBrowser(t.app);
    await owner.post('/logout');
    const again = new Browser(t.app);
    const refused = await again.get(await throughProvider(again, providerAccount(taken, false)));
    expect(refused.status).toBe(400);
    expect(await identitiesOf((await userByEmail(taken))!.id)).toEqual([]);
  });

  it('still asks for the second step when the account has two-step sign-in on', async () => {
    const { browser: owner, email } = await signedInBrowser(t.app);
    await markVerified(email);
    const login = providerAccount(uniqueEmail('other-address'));
    const linked = await owner.get(await throughProvider(owner, login, '/account/identities/link'));
    expect(linked.headers.location).toBe('/account');
    const userId = (await userByEmail(email))!.id;
    expect(await identitiesOf(userId)).toEqual([login]);
    const box = createSecretBox(TEST_JWT_SECRET, []);
    await beginTotpSetup(db, box, userId, email, new Date());
    await enableTotp(db, userId, new Date());
    const [code] = await replaceRecoveryCodes(db, userId, new Date());

    const browser = new Browser(t.app);
    const answer = await browser.get(await throughProvider(browser, login));
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/login/two-factor');
    expect(parseSetCookies(answer).map((c) => c.name)).not.toContain(ACCESS_COOKIE);
    expect((await browser.get('/journal')).status).toBe(303);
    const done = await browser.post('/login/two-factor', { code: code! });
    expect(done.headers.location).toBe('/journal');
    const method = await db.query<{ method: string }>(
      "SELECT detail->>'method' AS method FROM audit_events WHERE user_id = $1 AND type = 'login_succeeded' ORDER BY id DESC LIMIT 1",
      [userId],
    );
    expect(method.rows[0]!.method).toBe('oidc+recovery_code');
  });

  it('links from /account while signed in, and unlinks only while another way to sign in remains', async () => {
    const { browser, email } = await signedInBrowser(t.app);
    await markVerified(email);
    const login = providerAccount(uniqueEmail('elsewhere'));
    expect((await browser.get(await throughProvider(browser, login, '/account/identities/link'))).headers.location).toBe('/account');
    const userId = (await userByEmail(email))!.id;
    expect((await browser.get('/account')).text).toContain('Unlink');
    const unlinked = await browser.post('/account/identities/unlink', { issuer: provider.issuer, subject: login });
    expect(unlinked.status).toBe(303);
    expect(await identitiesOf(userId)).toEqual([]);

    const solo = new Browser(t.app);
    const soloLogin = providerAccount(uniqueEmail('solo'));
    await solo.get(await throughProvider(solo, soloLogin));
    const last = await solo.post('/account/identities/unlink', { issuer: provider.issuer, subject: soloLogin });
    expect(last.status).toBe(409);
    expect(last.text).toContain('Set a password first');
    // An account made through the provider can set a password from /account (no current password to give).
    const set = await solo.post('/account/password', { new_password: 'a fresh passphrase', new_password_confirm: 'a fresh passphrase' });
    expect(set.status).toBe(303);
    expect((await solo.post('/account/identities/unlink', { issuer: provider.issuer, subject: soloLogin })).status).toBe(303);
  });

  it('deletes an account without a password on a recent sign-in, identities and all', async () => {
    const browser = new Browser(t.app);
    const email = uniqueEmail('leaving');
    const login = providerAccount(email);
    await browser.get(await throughProvider(browser, login));
    const userId = (await userByEmail(email))!.id;
    const deleted = await browser.post('/account/delete', {});
    expect(deleted.headers.location).toBe('/login?flash=account_deleted');
    expect(await userByEmail(email)).toBeUndefined();
    expect(await identitiesOf(userId)).toEqual([]);
  });
});

describe('Continue with the provider: a fresh sign-in for step-up', () => {
  it('lets an account without a password confirm it is you at the provider, then change its email without a password', async () => {
    const clock = fakeClock();
    const timed = buildTestApp(db, provider.env, clock);
    const browser = new Browser(timed.app);
    const login = providerAccount(uniqueEmail('stepper'));
    await browser.get(await throughProvider(browser, login));
    clock.advance(601);
    const newEmail = uniqueEmail('stepped');
    const asked = await browser.post('/account/email', { new_email: newEmail });
    expect(asked.headers.location).toMatch(/^\/account\/confirm\?next=/);
    const page = await browser.get(asked.headers.location!);
    expect(page.text).toContain('Confirm with TestID');

    const started = await browser.post('/account/confirm/oidc', { next: '/account' });
    const confirmed = await browser.get(await provider.authorize(started.headers.location!, login));
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/account');
    expect((await browser.post('/account/email', { new_email: newEmail })).headers.location).toBe('/account');

    // Another provider account cannot confirm for this one.
    clock.advance(601);
    const other = providerAccount(uniqueEmail('someone-else'));
    const again = await browser.post('/account/confirm/oidc', { next: '/account' });
    const refused = await browser.get(await provider.authorize(again.headers.location!, other));
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('not linked to the Smriti account you are signed in to');
    expect((await browser.post('/account/email', { new_email: uniqueEmail() })).headers.location).toMatch(/^\/account\/confirm/);
  });
});

describe('Continue with the provider: refused callbacks', () => {
  it('answers a wrong state with 400 and a sentence, and the flow is spent', async () => {
    const browser = new Browser(t.app);
    const callback = await throughProvider(browser, providerAccount(uniqueEmail()));
    const forged = callback.replace(/state=[^&]+/, 'state=forged-state');
    const res = await browser.get(forged);
    expect(res.status).toBe(400);
    expect(res.text).toContain('does not belong to the sign-in this browser started');
    expect((await browser.get(callback)).status).toBe(400);
  });

  it('refuses a replayed callback and a replayed code', async () => {
    const login = providerAccount(uniqueEmail());
    const browser = new Browser(t.app);
    const callback = await throughProvider(browser, login);
    expect((await browser.get(callback)).status).toBe(303);
    const replay = await browser.get(callback);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('expired or was already finished');

    // A new flow that expects exactly what the first one did, so only the provider can refuse the spent code.
    const first = await db.query<{ state: string; nonce: string; code_verifier: string }>(
      'SELECT state, nonce, code_verifier FROM oidc_flows WHERE state = $1',
      [new URL(callback, 'http://x').searchParams.get('state')],
    );
    const second = new Browser(t.app);
    await second.post('/auth/oidc/start');
    const { state, nonce, code_verifier } = first.rows[0]!;
    await db.query('UPDATE oidc_flows SET state = $2, nonce = $3, code_verifier = $4 WHERE handle_hash = $1', [
      flowHash(second),
      state,
      nonce,
      code_verifier,
    ]);
    const reused = await second.get(callback);
    expect(reused.status).toBe(400);
    expect(reused.text).toContain('was already used or has expired');
  });

  it('refuses an ID token whose nonce does not match', async () => {
    const browser = new Browser(t.app);
    const callback = await throughProvider(browser, providerAccount(uniqueEmail()));
    await db.query('UPDATE oidc_flows SET nonce = $2 WHERE handle_hash = $1', [flowHash(browser), 'another-nonce']);
    const res = await browser.get(callback);
    expect(res.status).toBe(400);
    expect(res.text).toContain('could not confirm the answer from TestID');
    expect(parseSetCookies(res).map((c) => c.name)).not.toContain(ACCESS_COOKIE);
  });

  it('refuses an expired flow, a callback without a flow, and a cancelled sign-in', async () => {
    const clock = fakeClock();
    const timed = buildTestApp(db, provider.env, clock);
    const browser = new Browser(timed.app);
    const callback = await throughProvider(browser, providerAccount(uniqueEmail()));
    clock.advance(601);
    const late = await browser.get(callback);
    expect(late.status).toBe(400);
    expect(late.text).toContain('expired or was already finished');

    expect((await new Browser(t.app).get('/auth/oidc/callback?code=x&state=y')).status).toBe(400);

    const cancelling = new Browser(t.app);
    const started = await cancelling.post('/auth/oidc/start');
    const cancelled = await cancelling.get(await provider.authorize(started.headers.location!, 'anyone', { abort: true }));
    expect(cancelled.status).toBe(400);
    expect(cancelled.text).toContain('Signing in with TestID was cancelled');
  });

  it('answers 503 with a sentence when the provider cannot be reached', async () => {
    const port = await freePort();
    const down = buildTestApp(db, { ...provider.env, OIDC_ISSUER_URL: `http://127.0.0.1:${port}` });
    const res = await new Browser(down.app).post('/auth/oidc/start');
    expect(res.status).toBe(503);
    expect(res.text).toContain('Smriti could not reach TestID');
    expect(res.text).not.toMatch(/Error|at .*\.js/);
  });
});
