// Issue 30, second round: a fresh sign-in renews only its own account's session, and proving the
// mailbox takes an account back from ways in someone added before the address was proved.
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import {
  Browser,
  buildTestApp,
  fakeClock,
  signedInBrowser,
  TEST_ORIGIN,
  TEST_PASSWORD,
  type TestApp,
  uniqueEmail,
  writeEntry,
} from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';
import { SoftAuthenticator } from '../helpers/webauthn.js';

const STALE = 601;
const REMOVED = 'We removed ways to sign in to your Smriti account';
const VERIFY = 'Confirm your email for Smriti';
const RESET = 'Reset your Smriti password';
const LINKED = 'A TestID account was linked to your Smriti account';

let db: Db;
let provider: TestProvider;
let smtp: MailCatcher;
let t: TestApp;
beforeAll(async () => {
  [db, provider, smtp] = await Promise.all([createTestDb(), startTestProvider(), startMailCatcher()]);
  t = buildTestApp(db, { ...provider.env, SMTP_URL: smtp.url, STEP_UP_SECONDS: '600' }, fakeClock());
});
afterAll(() => Promise.all([db.close(), provider.close(), smtp.close()]));

let logins = 0;
function providerAccount(email: string): string {
  logins += 1;
  const login = `ways-in-${process.pid}-${logins}`;
  provider.accounts.set(login, { email, email_verified: true });
  return login;
}

/** Starts a provider flow with `start` in `browser`, signs in there as `login`, answers the callback path. */
async function throughProvider(
  browser: Browser,
  login: string,
  start = '/auth/oidc/start',
  form?: Record<string, string>,
): Promise<string> {
  const started = await browser.post(start, form);
  expect(started.status).toBe(303);
  return provider.authorize(started.headers.location!, login);
}

const userId = async (email: string) =>
  (await db.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1)', [email])).rows[0]!.id;

async function auditOf(id: string, type: string) {
  const rows = await db.query<{ detail: Record<string, unknown> | string }>(
    'SELECT detail FROM audit_events WHERE user_id = $1 AND type = $2',
    [id, type],
  );
  return rows.rows.map((r) => (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail));
}

/** A browser holding only what a thief copied: the victim's refresh cookie. */
function thiefWith(refreshCookie: string): Browser {
  const thief = new Browser(t.app);
  thief.jar.set(REFRESH_COOKIE, refreshCookie);
  return thief;
}

/** An account made with a passkey alone for `email` (unverified); answers the browser and the authenticator. */
async function passkeyAccount(email: string) {
  const browser = new Browser(t.app);
  const authenticator = new SoftAuthenticator(TEST_ORIGIN);
  const options = await browser.json('post', '/api/passkeys/register/options', { email });
  expect(options.status).toBe(200);
  const made = await browser.post('/register/passkey', { email, response: JSON.stringify(authenticator.register(options.body)) });
  expect(made.headers.location).toBe('/journal');
  return { browser, authenticator };
}

async function passkeySignIn(authenticator: SoftAuthenticator) {
  const browser = new Browser(t.app);
  const options = await browser.json('post', '/api/passkeys/sign-in/options', {});
  return browser.post('/login/passkey', { response: JSON.stringify(authenticator.assert(options.body)), next: '/journal' });
}

/** The attacker's own provider account, linked to the account as it was possible before this release. */
async function linkDirectly(id: string, login: string, email: string): Promise<void> {
  await db.query('INSERT INTO user_identities (issuer, subject, user_id, email, created_at) VALUES ($1, $2, $3, $4, $5)', [
    provider.issuer,
    login,
    id,
    email,
    new Date(t.clock.now()),
  ]);
}

function linkIn(mail: ParsedMail, path: string): string {
  const link = mail.text?.match(new RegExp(`http://smriti\\.test${path.replace('/', '\\/')}\\?token=[\\w.-]+`))?.[0];
  if (!link) throw new Error(`no link in: ${mail.text}`);
  return link.slice(TEST_ORIGIN.length);
}

/** The titles of entries a provider sign-in as `login` can read. */
async function titlesReadThroughProvider(login: string): Promise<string[]> {
  const browser = new Browser(t.app);
  await browser.get(await throughProvider(browser, login));
  const entries = await browser.json('get', '/api/entries');
  return entries.status === 200 ? (entries.body.entries as Array<{ title: string }>).map((e) => e.title) : [];
}

describe('a fresh sign-in renews only the session of the account that proved itself', () => {
  it('refuses the provider confirm finished in a browser holding another account’s stolen refresh cookie: no export, no passkey', async () => {
    const { browser: victim, email: victimEmail } = await signedInBrowser(t.app);
    await writeEntry(victim, 'Victim secret', 'only mine');
    const stolen = victim.jar.get(REFRESH_COOKIE)!;
    const attacker = new Browser(t.app);
    const attackerLogin = providerAccount(uniqueEmail('attacker'));
    await attacker.get(await throughProvider(attacker, attackerLogin));
    t.clock.advance(STALE);

    // The attacker starts the confirm in their own session and finishes it where the stolen cookie is.
    const started = await attacker.post('/account/confirm/oidc', { next: '/account/export' });
    const thief = thiefWith(stolen);
    thief.jar.set('smriti_oidc_flow', attacker.jar.get('smriti_oidc_flow')!);
    const answer = await thief.get(await provider.authorize(started.headers.location!, attackerLogin));

    expect(answer.status).toBe(403);
    expect(answer.text).toContain('signed in to a different Smriti account');
    expect(thief.jar.get(ACCESS_COOKIE)).toBeUndefined();
    const exported = await thief.get('/account/export');
    expect(exported.status).toBe(303);
    expect(exported.headers.location).toMatch(/^\/account\/confirm\?next=/);
    expect(exported.text).not.toContain('Victim secret');
    expect((await thief.json('post', '/api/passkeys/add/options', {})).status).toBe(403);
    const attackerId = (await db.query<{ id: string }>('SELECT user_id AS id FROM user_identities WHERE subject = $1', [attackerLogin]))
      .rows[0]!.id;
    expect(await auditOf(await userId(victimEmail), 'step_up_refused')).toEqual([{ method: 'oidc', proven_user: attackerId }]);
  });

  it('refuses the password confirm when the access cookie is one account’s and the refresh cookie another’s', async () => {
    const { browser: victim } = await signedInBrowser(t.app);
    await writeEntry(victim, 'Victim diary', 'private');
    const { browser: attacker } = await signedInBrowser(t.app);
    t.clock.advance(STALE);
    // The attacker's own access cookie (renewed now) beside the victim's refresh cookie.
    await attacker.get('/account');
    attacker.jar.set(REFRESH_COOKIE, victim.jar.get(REFRESH_COOKIE)!);

    const confirmed = await attacker.post('/account/confirm', { current_password: TEST_PASSWORD, next: '/account/export' });
    expect(confirmed.status).toBe(403);
    const thief = thiefWith(attacker.jar.get(REFRESH_COOKIE)!);
    const exported = await thief.get('/account/export');
    expect(exported.status).toBe(303);
    expect(exported.headers.location).toMatch(/^\/account\/confirm/);
  });

  it('refuses the passkey confirm when the refresh cookie beside it is another account’s', async () => {
    const { browser: victim } = await signedInBrowser(t.app);
    const { browser: attacker } = await signedInBrowser(t.app);
    const authenticator = new SoftAuthenticator(TEST_ORIGIN);
    const adding = await attacker.json('post', '/api/passkeys/add/options', {});
    await attacker.post('/account/passkeys', { name: 'Mine', response: JSON.stringify(authenticator.register(adding.body)) });
    t.clock.advance(STALE);
    await attacker.get('/account');
    attacker.jar.set(REFRESH_COOKIE, victim.jar.get(REFRESH_COOKIE)!);

    const options = await attacker.json('post', '/api/passkeys/confirm/options', {});
    expect(options.status).toBe(200);
    const response = JSON.stringify(authenticator.assert(options.body));
    const confirmed = await attacker.post('/account/confirm/passkey', { response, next: '/account/export' });
    expect(confirmed.status).toBe(403);
    expect((await thiefWith(attacker.jar.get(REFRESH_COOKIE)!).get('/account/export')).headers.location).toMatch(/^\/account\/confirm/);
  });

  it('still renews the session of the account that confirmed, with its method recorded', async () => {
    const { browser, email } = await signedInBrowser(t.app);
    t.clock.advance(STALE);
    const confirmed = await browser.post('/account/confirm', { current_password: TEST_PASSWORD, next: '/account/export' });
    expect(confirmed.headers.location).toBe('/account/export');
    expect((await browser.get('/account/export')).status).toBe(200);
    expect(await auditOf(await userId(email), 'step_up')).toEqual([{ method: 'password' }]);
  });
});

describe('proving the mailbox takes the account back', () => {
  it('after a reset link, the passkey and provider added before the address was proved no longer sign in, and the owner is told', async () => {
    const email = uniqueEmail('pre-hijacked');
    const { authenticator } = await passkeyAccount(email);
    const attackerLogin = providerAccount(uniqueEmail('hijacker'));
    await linkDirectly(await userId(email), attackerLogin, 'hijacker@example.com');

    // The owner resets the password by email, signs in and writes.
    await new Browser(t.app).post('/password/forgot', { email });
    const [resetMail] = await smtp.waitFor(email, 1, RESET);
    const token = new URL(linkIn(resetMail!, '/password/reset'), TEST_ORIGIN).searchParams.get('token')!;
    const fresh = 'the owner’s own passphrase';
    expect((await new Browser(t.app).post('/password/reset', { token, new_password: fresh, new_password_confirm: fresh })).status).toBe(
      303,
    );
    const owner = new Browser(t.app);
    expect((await owner.post('/login', { email, password: fresh })).headers.location).toBe('/journal');
    await writeEntry(owner, 'After taking it back', 'mine now');

    expect((await passkeySignIn(authenticator)).status).toBe(401);
    expect(await titlesReadThroughProvider(attackerLogin)).not.toContain('After taking it back');
    const [told] = await smtp.waitFor(email, 1, REMOVED);
    expect(told!.text).toContain('the passkey');
    expect(told!.text).toContain('sign-in with TestID (hijacker@example.com)');
    expect(await auditOf(await userId(email), 'ways_in_removed')).toEqual([{ passkeys: 1, identities: 1, two_factor: false }]);
  });

  it('after the verification link is opened elsewhere, the passkey and provider no longer sign in, their session ends, and the owner is told', async () => {
    const email = uniqueEmail('squatted');
    const { browser: squatter, authenticator } = await passkeyAccount(email);
    const attackerLogin = providerAccount(uniqueEmail('squatter'));
    await linkDirectly(await userId(email), attackerLogin, 'squatter@example.com');

    const [verifyMail] = await smtp.waitFor(email, 1, VERIFY);
    const opened = await new Browser(t.app).get(linkIn(verifyMail!, '/email/verify'));
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('is verified');
    expect(opened.text).toContain('removed');

    expect((await passkeySignIn(authenticator)).status).toBe(401);
    const provided = new Browser(t.app);
    const landed = await provided.get(await throughProvider(provided, attackerLogin));
    expect(await userId(email)).not.toBe(await userIdOfSession(provided, landed.headers.location));
    // Its access cookie set aside, the squatter's session must refresh: it was ended.
    squatter.jar.delete(ACCESS_COOKIE);
    expect((await squatter.get('/journal')).headers.location).toMatch(/^\/login/);
    const [told] = await smtp.waitFor(email, 1, REMOVED);
    expect(told!.text).toContain('sign-in with TestID (squatter@example.com)');
  });

  it('keeps the passkey when the verification link is opened in the browser signed in to the account', async () => {
    const email = uniqueEmail('own-passkey');
    const { browser, authenticator } = await passkeyAccount(email);
    const [verifyMail] = await smtp.waitFor(email, 1, VERIFY);
    expect((await browser.get(linkIn(verifyMail!, '/email/verify'))).status).toBe(200);
    expect((await passkeySignIn(authenticator)).headers.location).toBe('/journal');
    expect(await auditOf(await userId(email), 'ways_in_removed')).toEqual([]);
  });

  it('makes verification links for the address as stored: registering with "  Person@Example.com " gives a link that works', async () => {
    const email = uniqueEmail('Person').replace('@example.com', '@Example.com');
    const browser = new Browser(t.app);
    const made = await browser.post('/register', { email: `  ${email} `, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    expect(made.status).toBe(303);
    const [mail] = await smtp.waitFor(email.toLowerCase(), 1, VERIFY);
    const opened = await new Browser(t.app).get(linkIn(mail!, '/email/verify'));
    expect(opened.status).toBe(200);
    expect(opened.text).toContain(`${email.toLowerCase()} is verified`);
  });
});

describe('linking a provider account', () => {
  it('is refused while the account’s address is unproved, linking nothing', async () => {
    const { browser, email } = await signedInBrowser(t.app);
    const res = await browser.post('/account/identities/link');
    expect(res.status).toBe(403);
    expect(res.text).toContain('Verify your email address first');
    const rows = await db.query('SELECT 1 FROM user_identities WHERE user_id = $1', [await userId(email)]);
    expect(rows.rows).toEqual([]);
  });

  it('is refused on the waiting link too, when the account found by the provider’s address is unproved', async () => {
    const { browser: owner, email } = await signedInBrowser(t.app);
    await owner.post('/logout');
    const visitor = new Browser(t.app);
    const parked = await visitor.get(await throughProvider(visitor, providerAccount(email)));
    expect(parked.headers.location).toBe('/login?next=%2Fauth%2Foidc%2Flink');
    await visitor.post('/login', { email, password: TEST_PASSWORD, next: '/auth/oidc/link' });
    const linked = await visitor.post('/auth/oidc/link');
    expect(linked.status).toBe(403);
    expect(linked.text).toContain('Verify your email address first');
    expect((await db.query('SELECT 1 FROM user_identities WHERE user_id = $1', [await userId(email)])).rows).toEqual([]);
  });

  it('emails the owner, as adding a passkey does', async () => {
    const { browser, email } = await signedInBrowser(t.app);
    await db.query('UPDATE users SET email_verified_at = $2 WHERE id = $1', [await userId(email), new Date(t.clock.now())]);
    const providerEmail = uniqueEmail('linked-elsewhere');
    const linked = await browser.get(await throughProvider(browser, providerAccount(providerEmail), '/account/identities/link'));
    expect(linked.headers.location).toBe('/account');
    const [mail] = await smtp.waitFor(email, 1, LINKED);
    expect(mail!.text).toContain(providerEmail);
    expect(mail!.text).toContain('If this was not you, unlink it');
  });
});

/** Whose journal a browser that just landed at `location` holds: the user id behind its session, if any. */
async function userIdOfSession(browser: Browser, location: string | undefined): Promise<string | undefined> {
  if (location !== '/journal') return undefined;
  const me = await browser.json('get', '/api/me');
  return me.status === 200 ? (me.body.id as string | undefined) : undefined;
}
