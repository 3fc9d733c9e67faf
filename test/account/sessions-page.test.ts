// The sessions page tells the truth (DESIGN §5, §14): when each device last renewed its sign-in,
// its address as people write it, and its browser and system by name.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../../src/auth/cookies.js';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, fakeClock, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

const FIREFOX_ANDROID = 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ENV = { ACCESS_TOKEN_EXPIRY_SECONDS: '300', REFRESH_TOKEN_EXPIRY_SECONDS: '3600', JWT_LEEWAY_SECONDS: '0' };

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

const sidOf = (browser: Browser) => (jwt.decode(browser.jar.get(REFRESH_COOKIE)!) as { sid: string }).sid;

/** The cells of one session's row on the account page, by the session's id. */
function sessionRow(html: string, sid: string) {
  const row = html.split('<tr').find((r) => r.includes(`/account/sessions/${sid}/revoke`));
  if (!row) throw new Error(`no row for session ${sid}`);
  const cells = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]!);
  const timeIn = (cell: string | undefined) => cell?.match(/<time datetime="([^"]+)"/)?.[1];
  return { device: cells[0]!, ip: cells[1]!, signedIn: timeIn(cells[2]), lastUsed: timeIn(cells[3]), lastUsedCell: cells[3]! };
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

async function signIn(app: Express | string, email: string, userAgent: string): Promise<Browser> {
  const browser = new Browser(app, TEST_ORIGIN, { 'User-Agent': userAgent });
  const res = await browser.post('/login', { email, password: TEST_PASSWORD });
  expect(res.status).toBe(303);
  return browser;
}

describe('the sessions page', () => {
  it("shows another device's last refresh as Last used, its sign-in as Signed in, and this device as in use now", async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, ENV, clock);
    const email = uniqueEmail('sessions');
    const laptop = new Browser(t.app, TEST_ORIGIN, { 'User-Agent': CHROME_MAC });
    await laptop.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    const signedInAt = clock.now();
    const phone = await signIn(t.app, email, FIREFOX_ANDROID);

    clock.advance(240);
    expect((await phone.post('/refresh')).status).toBe(200);
    const refreshedAt = clock.now();
    let row = sessionRow((await laptop.get('/account')).text, sidOf(phone));
    expect(row.signedIn).toBe(iso(signedInAt));
    expect(row.lastUsed).toBe(iso(refreshedAt));

    // A page whose access token has lapsed renews it in place: that is a use too.
    clock.advance(400);
    expect((await phone.get('/journal')).status).toBe(200);
    const renewedAt = clock.now();
    clock.advance(60);
    const page = (await laptop.get('/account')).text;
    row = sessionRow(page, sidOf(phone));
    expect(row.signedIn).toBe(iso(signedInAt));
    expect(row.lastUsed).toBe(iso(renewedAt));
    expect(row.device).toBe('Firefox on Android');

    const here = sessionRow(page, sidOf(laptop));
    expect(here.device).toContain('Chrome on macOS');
    expect(here.device).toContain('(this device)');
    expect(here.lastUsedCell).toBe('Now');
    expect(page).toContain('which a device in use does at least every 5 minutes');
  });

  it('lists the most recently used other session first after this one', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, ENV, clock);
    const email = uniqueEmail('order');
    const laptop = new Browser(t.app);
    await laptop.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    const old = await signIn(t.app, email, FIREFOX_ANDROID);
    clock.advance(60);
    const recent = await signIn(t.app, email, CHROME_MAC);
    clock.advance(60);
    await old.post('/refresh');
    const page = (await laptop.get('/account')).text;
    const order = [sidOf(laptop), sidOf(old), sidOf(recent)].map((sid) => page.indexOf(`/account/sessions/${sid}/revoke`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('signs this device out from its own row as the header does: cookies cleared and Clear-Site-Data', async () => {
    const t = buildTestApp(db, ENV);
    const email = uniqueEmail('own-row');
    const laptop = new Browser(t.app);
    await laptop.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    const page = (await laptop.get('/account')).text;
    expect(page).toContain(`action="/account/sessions/${sidOf(laptop)}/revoke" class="inline" data-sign-out`);
    const res = await laptop.post(`/account/sessions/${sidOf(laptop)}/revoke`);
    expect(res.headers.location).toBe('/login?flash=logged_out');
    expect(res.headers['clear-site-data']).toBe('"cache"');
    expect(laptop.jar.get(REFRESH_COOKIE)).toBeUndefined();
  });

  describe('on a server listening on every interface (IPv6 and IPv4 together)', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      const t = buildTestApp(db, ENV);
      server = createServer(t.app);
      await new Promise<void>((resolve) => server.listen(0, '::', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('shows an IPv4 client as 1.2.3.4, not as the IPv4-mapped ::ffff:1.2.3.4 the server sees', async () => {
      const email = uniqueEmail('ipv4');
      const laptop = new Browser(url, TEST_ORIGIN, { 'User-Agent': CHROME_MAC });
      expect((await laptop.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD })).status).toBe(303);
      const stored = await db.query<{ ip: string }>('SELECT ip FROM refresh_tokens WHERE family_id = $1', [sidOf(laptop)]);
      expect(stored.rows[0]!.ip).toBe('::ffff:127.0.0.1');

      const page = (await laptop.get('/account')).text;
      expect(sessionRow(page, sidOf(laptop)).ip).toBe('127.0.0.1');
      const events = page.slice(page.indexOf('<table class="events">'));
      expect(events).toContain('<td>127.0.0.1</td>');
      expect(page).not.toContain('::ffff:');
    });
  });
});
