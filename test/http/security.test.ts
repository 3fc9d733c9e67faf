import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { checkToken, createTokenKeys } from '../../src/auth/tokens.js';
import { Browser, buildTestApp, fakeClock, signedInBrowser, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

const SOME_UUID = '00000000-0000-4000-8000-000000000000';
const UNSAFE_ROUTES: Array<['post' | 'put' | 'delete', string]> = [
  ['post', '/login'],
  ['post', '/register'],
  ['post', '/logout'],
  ['post', '/refresh'],
  ['post', '/journal'],
  ['post', `/journal/${SOME_UUID}`],
  ['post', `/journal/${SOME_UUID}/delete`],
  ['post', '/account/password'],
  ['post', `/account/sessions/${SOME_UUID}/revoke`],
  ['post', '/account/sessions/revoke-others'],
  ['post', '/api/entries'],
  ['put', `/api/entries/${SOME_UUID}`],
  ['delete', `/api/entries/${SOME_UUID}`],
];

describe('cross-site request protection', () => {
  const refusals: Array<[string, Record<string, string>]> = [
    ['Sec-Fetch-Site cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
    ['a foreign Origin', { Origin: 'https://evil.example' }],
    ['Origin null', { Origin: 'null' }],
    ['a foreign Referer', { Referer: 'https://evil.example/page' }],
    ['no origin information at all', {}],
  ];

  it.each(refusals)('answers 403 on every unsafe route for %s, even when signed in', async (_label, headers) => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const [method, path] of UNSAFE_ROUTES) {
      const res = await request(setup.t.app)[method](path).set('Cookie', browser.jar.header()).set(headers).send({});
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.text).toContain('came from another site');
    }
    expect((await browser.get('/api/me')).status).toBe(200);
  });

  it.each([
    ['Sec-Fetch-Site same-origin', { 'Sec-Fetch-Site': 'same-origin' }],
    ['Sec-Fetch-Site none (typed or bookmarked)', { 'Sec-Fetch-Site': 'none' }],
    ['a matching Origin', { Origin: TEST_ORIGIN }],
    ['a matching Referer', { Referer: `${TEST_ORIGIN}/journal` }],
  ])('lets same-origin requests through with %s', async (_label, headers) => {
    const { browser } = await signedInBrowser(setup.t.app);
    for (const [method, path] of UNSAFE_ROUTES) {
      const res = await request(setup.t.app)[method](path).set('Cookie', browser.jar.header()).set(headers).send({});
      expect(res.status, `${method} ${path}`).not.toBe(403);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});

describe('security headers and markup', () => {
  it('sends a strict CSP on every page, and no rendered page holds inline script or style', async () => {
    const { browser } = await signedInBrowser(setup.t.app);
    const entry = (await browser.json('post', '/api/entries', { title: 'x', body: 'y' })).body;
    const pages = [
      '/login',
      '/register',
      '/journal',
      '/journal/new',
      `/journal/${entry.id}`,
      `/journal/${entry.id}/edit`,
      `/journal/${entry.id}/delete`,
      '/account',
      '/no/such/page',
    ];
    for (const path of pages) {
      const res = path === '/login' || path === '/register' ? await request(setup.t.app).get(path) : await browser.get(path);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp, path).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(res.text, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(res.text, path).not.toMatch(/\son[a-z]+\s*=/i);
      expect(res.text, path).not.toMatch(/\sstyle\s*=/i);
    }
  });

  it('sends HSTS in production only', async () => {
    const prod = buildTestApp(setup.db, {
      NODE_ENV: 'production',
      JWT_SECRET: 'k'.repeat(40),
      DATABASE_URL: 'postgres://u@h/d',
      APP_ORIGIN: 'https://smriti.test',
      BCRYPT_ROUNDS: '10',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      MAIL_FROM: 'Smriti <no-reply@smriti.test>',
    });
    expect((await request(prod.app).get('/login')).headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect((await request(setup.t.app).get('/login')).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('rate limits', () => {
  const tight = { limit: 3, windowSeconds: 60 };
  // Sign-in and registration counts live in the database every app in this file shares.
  beforeEach(async () => {
    await setup.db.query('DELETE FROM rate_limits');
  });

  it('limits sign-in attempts per IP with 429, Retry-After and a message, and resets after the window', async () => {
    const clock = fakeClock();
    const app = buildTestApp(setup.db, {}, clock, { loginPerIp: tight }).app;
    for (let i = 0; i < 3; i++)
      expect((await new Browser(app).post('/login', { email: uniqueEmail(), password: 'whatever1' })).status).toBe(401);
    const limited = await new Browser(app).post('/login', { email: uniqueEmail(), password: 'whatever1' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.text).toContain('Too many sign-in attempts');
    clock.advance(61);
    expect((await new Browser(app).post('/login', { email: uniqueEmail(), password: 'whatever1' })).status).toBe(401);
  });

  it('limits sign-in attempts per email', async () => {
    const app = buildTestApp(setup.db, {}, fakeClock(), { loginPerEmail: tight }).app;
    const email = uniqueEmail();
    for (let i = 0; i < 3; i++) await new Browser(app).post('/login', { email, password: 'whatever1' });
    expect((await new Browser(app).post('/login', { email: email.toUpperCase(), password: 'whatever1' })).status).toBe(429);
    expect((await new Browser(app).post('/login', { email: uniqueEmail(), password: 'whatever1' })).status).toBe(401);
  });

  it('limits registrations per IP', async () => {
    const app = buildTestApp(setup.db, {}, fakeClock(), { registerPerIp: tight }).app;
    for (let i = 0; i < 3; i++)
      await new Browser(app).post('/register', { email: uniqueEmail(), password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    const limited = await new Browser(app).post('/register', {
      email: uniqueEmail(),
      password: TEST_PASSWORD,
      password_confirm: TEST_PASSWORD,
    });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('limits refreshes per IP with a JSON 429', async () => {
    const clock = fakeClock();
    const app = buildTestApp(setup.db, {}, clock, { refreshPerIp: tight }).app;
    const { browser } = await signedInBrowser(app);
    for (let i = 0; i < 3; i++) expect((await browser.post('/refresh')).status).toBe(200);
    const limited = await browser.post('/refresh');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: 'rate_limited' });
    expect(limited.body.message).toMatch(/wait/);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(browser.jar.get(REFRESH_COOKIE)).toBeTruthy();
    clock.advance(61);
    expect((await browser.post('/refresh')).status).toBe(200);
  });

  it('counts failed sign-ins per account in the database, across two app instances, and clears them after the window', async () => {
    const clock = fakeClock();
    const limits = { failedSignInsPerAccount: tight };
    const first = buildTestApp(setup.db, {}, clock, limits).app;
    const second = buildTestApp(setup.db, {}, clock, limits).app;
    const { email } = await signedInBrowser(first);
    for (const app of [first, second, first])
      expect((await new Browser(app).post('/login', { email, password: 'not it at all' })).status).toBe(401);
    const blocked = await new Browser(second).post('/login', { email, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many failed sign-ins for this account');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(61);
    expect((await new Browser(second).post('/login', { email, password: TEST_PASSWORD })).status).toBe(303);
  });
});

describe('signing key rotation', () => {
  const OLD = 'the-old-secret-that-was-retired-32+bytes';
  const NEW = 'the-new-secret-that-signs-today-32+bytes';

  it('accepts a token signed with a listed previous secret and refuses it once the secret is dropped', async () => {
    const clock = fakeClock();
    const before = buildTestApp(setup.db, { JWT_SECRET: OLD }, clock);
    const { browser } = await signedInBrowser(before.app);
    const oldAccess = browser.jar.get(ACCESS_COOKIE)!;
    const oldRefresh = browser.jar.get(REFRESH_COOKIE)!;

    const rotated = buildTestApp(setup.db, { JWT_SECRET: NEW, JWT_PREVIOUS_SECRETS: OLD }, clock);
    expect((await request(rotated.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${oldAccess}`)).status).toBe(200);
    const refreshed = await request(rotated.app)
      .post('/refresh')
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', `${REFRESH_COOKIE}=${oldRefresh}`);
    expect(refreshed.status).toBe(200);
    const newKeysOnly = createTokenKeys({ ...rotated.config.jwt, previousSecrets: [] });
    const newAccess = /smriti_access_token=([^;]+)/.exec(String(refreshed.headers['set-cookie']))![1]!;
    expect(checkToken(newKeysOnly, 'access', newAccess, clock.now()).kind).toBe('valid');

    const dropped = buildTestApp(setup.db, { JWT_SECRET: NEW }, clock);
    const refused = await request(dropped.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${oldAccess}`);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('token_invalid');
    expect((await request(dropped.app).get('/api/me').set('Cookie', `${ACCESS_COOKIE}=${newAccess}`)).status).toBe(200);
  });
});
