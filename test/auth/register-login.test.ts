import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { Browser, signedInBrowser, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';

const setup = useTestApp();
const PHRASE_OF_72_BYTES = 'otters juggle lanterns beside a quiet harbour while gulls argue about te';

function register(browser: Browser, email: string, password = TEST_PASSWORD, confirm = password) {
  return browser.post('/register', { email, password, password_confirm: confirm });
}

describe('registration', () => {
  it('serves the form', async () => {
    const res = await new Browser(setup.t.app).get('/register');
    expect(res.status).toBe(200);
    expect(res.text).toContain('name="password_confirm"');
  });

  it('creates the account, signs in and goes to the journal', async () => {
    const browser = new Browser(setup.t.app);
    const res = await register(browser, uniqueEmail());
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/journal');
    expect(browser.jar.get(ACCESS_COOKIE)).toBeTruthy();
    expect(browser.jar.get(REFRESH_COOKIE)).toBeTruthy();
  });

  it('stores a bcrypt hash, never the password', async () => {
    const email = uniqueEmail();
    await register(new Browser(setup.t.app), email);
    const row = await setup.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email]);
    expect(row.rows[0]!.password_hash).toMatch(/^\$2[aby]\$04\$/);
    expect(row.rows[0]!.password_hash).not.toContain(TEST_PASSWORD);
  });

  it('answers 409 with a clear message for an email already registered, whatever its case', async () => {
    const email = uniqueEmail('Case');
    expect((await register(new Browser(setup.t.app), email)).status).toBe(303);
    const again = await register(new Browser(setup.t.app), email.toUpperCase());
    expect(again.status).toBe(409);
    expect(again.text).toContain('An account with this email already exists');
    const count = await setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE lower(email) = lower($1)', [email]);
    expect(count.rows[0]!.n).toBe(1);
  });

  it.each([
    ['7 bytes', 'short12', 'at least 8'],
    ['73 bytes', 'x'.repeat(73), 'at most 72 bytes'],
    ['37 two-byte characters (74 bytes)', 'é'.repeat(37), 'at most 72 bytes'],
  ])('refuses a password of %s with a field message', async (_label, password, message) => {
    const email = uniqueEmail();
    const res = await register(new Browser(setup.t.app), email, password);
    expect(res.status).toBe(400);
    expect(res.text).toContain(message);
    const count = await setup.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE email = $1', [email]);
    expect(count.rows[0]!.n).toBe(0);
  });

  it('accepts a strong password of exactly 72 bytes, and nine random characters', async () => {
    expect((await register(new Browser(setup.t.app), uniqueEmail(), PHRASE_OF_72_BYTES)).status).toBe(303);
    expect((await register(new Browser(setup.t.app), uniqueEmail(), 'kT9#vQ2wx')).status).toBe(303);
  });

  it('refuses mismatched confirmation, a bad email and missing fields', async () => {
    const mismatch = await register(new Browser(setup.t.app), uniqueEmail(), TEST_PASSWORD, 'something else');
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('do not match');
    const badEmail = await register(new Browser(setup.t.app), 'not-an-email');
    expect(badEmail.status).toBe(400);
    expect(badEmail.text).toContain('valid email');
    const empty = await new Browser(setup.t.app).post('/register', {});
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter your email address');
  });

  it('escapes what the user typed when it re-renders the form', async () => {
    const res = await register(new Browser(setup.t.app), '"><script>alert(1)</script>@x.com', 'short');
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;');
  });
});

describe('sign-in', () => {
  it('signs in with the right password, any email case, and sets both cookies', async () => {
    const email = uniqueEmail();
    await register(new Browser(setup.t.app), email);
    const browser = new Browser(setup.t.app);
    const res = await browser.post('/login', { email: email.toUpperCase(), password: TEST_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/journal');
    expect(browser.jar.get(ACCESS_COOKIE)).toBeTruthy();
  });

  it('gives a wrong password and an unknown email the same answer', async () => {
    const { email } = await signedInBrowser(setup.t.app);
    const wrong = await new Browser(setup.t.app).post('/login', { email, password: 'not the password' });
    const unknown = await new Browser(setup.t.app).post('/login', { email: uniqueEmail('nobody'), password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const messageOf = (html: string) => /<p class="form-error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
    expect(messageOf(wrong.text)).toBe('That email and password do not match an account.');
    expect(messageOf(unknown.text)).toBe(messageOf(wrong.text));
    expect(wrong.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringContaining(ACCESS_COOKIE)]));
  });

  it('does not let bcrypt truncation sign in with a password that only starts like the real one', async () => {
    const { email } = await signedInBrowser(setup.t.app);
    for (const password of [`${TEST_PASSWORD}\u0000${TEST_PASSWORD}`, `${TEST_PASSWORD}\u0000`]) {
      expect((await new Browser(setup.t.app).post('/login', { email, password })).status).toBe(401);
    }
    const longEmail = uniqueEmail('long');
    const exactly72 = PHRASE_OF_72_BYTES;
    expect((await register(new Browser(setup.t.app), longEmail, exactly72)).status).toBe(303);
    expect((await new Browser(setup.t.app).post('/login', { email: longEmail, password: exactly72 })).status).toBe(303);
    expect((await new Browser(setup.t.app).post('/login', { email: longEmail, password: `${exactly72}anything` })).status).toBe(401);
  });

  it('refuses to register a password holding a NUL character', async () => {
    const res = await register(new Browser(setup.t.app), uniqueEmail(), 'abc\u0000defghij');
    expect(res.status).toBe(400);
    expect(res.text).toContain('cannot contain the NUL character');
  });

  it('refuses missing fields with field messages', async () => {
    const res = await new Browser(setup.t.app).post('/login', { email: '', password: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter your email address');
    expect(res.text).toContain('Enter your password');
  });
});
