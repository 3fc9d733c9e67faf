// A way in that lives only in this file, handed to createApp: the sign-in flow gives it the same
// session as the password, two-step and step-up, its buttons on the sign-in pages and its section on
// /account, with no change to any file of src/.
import { join, relative } from 'node:path';
import { type Request, type Response, Router } from 'express';
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { findSignedInUser, requirePageAuth } from '../../src/auth/middleware.js';
import { findUserByEmail } from '../../src/auth/users.js';
import { VIEWS_DIR } from '../../src/http/views.js';
import type { SignInMethod } from '../../src/sign-in/methods.js';
import { Browser, buildTestApp, signedInBrowser, TEST_PASSWORD, type TestApp, useTestApp } from '../helpers/app.js';
import { parseSetCookies } from '../helpers/cookie-jar.js';

const ctx = useTestApp();
const STEP_UP = 60;
/** What the fake way in takes as proof: whoever knows it is whoever they say (only ever in this test). */
const WAND = 'the test knows the magic word';
// Views are named from the views root; the fake's partial sits beside this file.
const PARTIAL = `/${relative(VIEWS_DIR, join(import.meta.dirname, 'fake-way-in'))}`;

const fakeWayIn: SignInMethod = {
  name: 'wand',
  routes(appCtx, flow) {
    const router = Router();
    router.post('/login/wand', async (req: Request, res: Response) => {
      const user = req.body?.wand === WAND ? await findUserByEmail(appCtx.db, String(req.body.email)) : undefined;
      if (!user) return flow.renderLogin(res, 401, { next: '/journal', errors: { form: 'The wand did not work.' } });
      await flow.afterFirstFactor(req, res, { userId: user.id, email: user.email, method: 'wand', shared: false, next: '/journal' });
    });
    router.post('/account/confirm/wand', requirePageAuth(appCtx), async (req: Request, res: Response) => {
      const user = await findSignedInUser(appCtx, res);
      if (req.body?.wand !== WAND) return flow.renderConfirm(res, 401, user, '/account', { form: 'The wand did not work.' });
      await flow.renewAuthTime(req, res, { userId: user.id, method: 'wand', next: String(req.body.next ?? '/account') });
    });
    return router;
  },
  partials: { login: PARTIAL, confirm: PARTIAL },
  canConfirm: async () => true,
  accountSection: { name: 'wand', view: PARTIAL, load: async (_ctx, user) => ({ owner: user.email }) },
};

function appWithWand(): TestApp {
  return buildTestApp(ctx.db, { STEP_UP_SECONDS: String(STEP_UP) }, undefined, {}, { signInMethods: [fakeWayIn] });
}

async function wandSignIn(t: TestApp, email: string) {
  const browser = new Browser(t.app);
  return { browser, res: await browser.post('/login/wand', { email, wand: WAND }) };
}

/** The cookies an answer sets, by name, with the attributes that make them what they are. */
function cookieShapes(res: Awaited<ReturnType<Browser['post']>>) {
  return parseSetCookies(res)
    .map((c) => ({ name: c.name, maxAge: c.attributes['max-age'], httpOnly: 'httponly' in c.attributes, sameSite: c.attributes.samesite }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('a way in handed to createApp', () => {
  it('draws its partial on /login, and its answer sets exactly the cookies a password sign-in sets', async () => {
    const t = appWithWand();
    const { browser: owner, email } = await signedInBrowser(t.app);
    await owner.post('/logout');
    expect((await new Browser(t.app).get('/login')).text).toContain('data-test-way-in="wand"');

    const byPassword = await new Browser(t.app).post('/login', { email, password: TEST_PASSWORD });
    const { browser, res } = await wandSignIn(t, email);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/journal');
    expect(cookieShapes(res)).toEqual(cookieShapes(byPassword));
    expect((await browser.get('/journal')).status).toBe(200);
    const method = await ctx.db.query<{ method: string }>(
      `SELECT detail->>'method' AS method FROM audit_events WHERE user_id = (SELECT id FROM users WHERE email = $1)
        AND type = 'login_succeeded' ORDER BY id DESC LIMIT 1`,
      [email],
    );
    expect(method.rows[0]?.method).toBe('wand');
  });

  it('asks for the second step when the account has two-step on, and sets no session before it', async () => {
    const t = appWithWand();
    const { browser: owner, email } = await signedInBrowser(t.app);
    const setup = await owner.get('/account/two-factor');
    const secret = setup.text.match(/id="totp-secret">([A-Z2-7]+)</)![1]!;
    const code = () => generate({ secret, epoch: Math.floor(t.clock.now() / 1000) });
    expect((await owner.post('/account/two-factor/enable', { current_password: TEST_PASSWORD, code: await code() })).status).toBe(200);
    t.clock.advance(30);

    const { browser, res } = await wandSignIn(t, email);
    expect(res.headers.location).toBe('/login/two-factor');
    expect(cookieShapes(res).map((c) => c.name)).not.toContain('smriti_access_token');
    const finished = await browser.post('/login/two-factor', { code: await code() });
    expect(finished.status).toBe(303);
    expect(finished.headers.location).toBe('/journal');
    expect((await browser.get('/journal')).status).toBe(200);
  });

  it('confirms a stale session on /account/confirm for step-up, and shows its section on /account', async () => {
    const t = appWithWand();
    const { browser, email } = await signedInBrowser(t.app);
    t.clock.advance(STEP_UP + 1);
    const asked = await browser.get('/account/export');
    expect(asked.status).toBe(303);
    expect(asked.headers.location).toBe('/account/confirm?next=%2Faccount%2Fexport');
    expect((await browser.get(asked.headers.location!)).text).toContain('data-test-way-in="wand"');

    const confirmed = await browser.post('/account/confirm/wand', { wand: WAND, next: '/account/export' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/account/export');
    expect((await browser.get('/account/export')).status).toBe(200);
    const account = await browser.get('/account');
    expect(account.text).toContain(`data-test-section="wand" data-owner="${email}"`);
  });
});
