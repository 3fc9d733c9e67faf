import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import { hashToken } from '../../src/auth/sessions.js';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { pruneExpiredRows } from '../../src/prune.js';
import { Browser, buildTestApp, fakeClock, LogCapture, TEST_PASSWORD, uniqueEmail } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db.close());

/** The audit events of the journey below, in order. */
const JOURNEY_EVENTS = [
  'registered',
  'login_failed',
  'login_succeeded',
  'token_refreshed',
  'password_changed',
  'session_revoked',
  'logout',
];

describe('audit trail', () => {
  it('records every auth event of a full journey in the table and the log, with no secret in either', async () => {
    const t = buildTestApp(db);
    const email = uniqueEmail();
    const browser = new Browser(t.app);
    await browser.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    const secrets = new Set<string>([TEST_PASSWORD]);
    const remember = () => {
      for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
        const value = browser.jar.get(name);
        if (value) secrets.add(value).add(value.split('.')[2]!);
      }
    };
    remember();
    await new Browser(t.app).post('/login', { email, password: 'wrong password' });
    await browser.post('/login', { email, password: TEST_PASSWORD });
    remember();
    await browser.post('/refresh');
    remember();
    await browser.post('/account/password', {
      current_password: TEST_PASSWORD,
      new_password: 'new password 1',
      new_password_confirm: 'new password 1',
    });
    secrets.add('new password 1');
    await browser.post('/account/sessions/revoke-others');
    await browser.post('/logout');

    const user = await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
    const rows = await db.query<{ type: string; detail: unknown; ip: string | null }>(
      'SELECT type, detail, ip FROM audit_events WHERE user_id = $1 ORDER BY id',
      [user.rows[0]!.id],
    );
    expect(rows.rows.map((r) => r.type)).toEqual(JOURNEY_EVENTS);
    const tableText = JSON.stringify(rows.rows);
    const logText = t.logs.text;
    for (const type of JOURNEY_EVENTS) {
      expect(logText).toContain(`"audit":"${type}"`);
    }
    // Request lines carry id, method, URL and address: no headers, so no cookie can slip in.
    expect(logText).not.toContain('"headers"');
    expect(logText).toMatch(/"req":\{"id":"[0-9a-f-]{36}"/);
    expect(logText).toContain('"res":{"statusCode":303}');
    for (const secret of secrets) {
      expect(tableText).not.toContain(secret);
      expect(logText).not.toContain(secret);
    }
  });
});

describe('the logger', () => {
  it('redacts credentials even when a caller passes them in', () => {
    const capture = new LogCapture();
    const logger = createLogger('info', capture);
    logger.info(
      {
        req: { headers: { cookie: 'smriti_access_token=abc', authorization: 'Bearer abc' } },
        body: { password: 'hunter22', new_password: 'x2' },
        token: 'tok',
      },
      'oops',
    );
    expect(capture.text).not.toMatch(/abc|hunter22|x2|"tok"/);
    expect(capture.text.match(/\[redacted\]/g)).toHaveLength(5);
  });
});

describe('pruning', () => {
  it('removes refresh rows expired over a day ago and keeps live and recently expired ones', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, { ACCESS_TOKEN_EXPIRY_SECONDS: '60', REFRESH_TOKEN_EXPIRY_SECONDS: '3600' }, clock);
    const old = new Browser(t.app);
    await old.post('/register', { email: uniqueEmail(), password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    clock.advance(3600 + 86400 + 10);
    const recent = new Browser(t.app);
    await recent.post('/register', { email: uniqueEmail(), password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    clock.advance(3700);
    const live = new Browser(t.app);
    await live.post('/register', { email: uniqueEmail(), password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });

    const removed = await pruneExpiredRows(db, t.config, clock.now());
    expect(removed.refreshTokens).toBeGreaterThanOrEqual(1);
    const exists = async (browser: Browser) =>
      (await db.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [hashToken(browser.jar.get(REFRESH_COOKIE)!)])).rows.length ===
      1;
    expect(await exists(old)).toBe(false);
    expect(await exists(recent)).toBe(true);
    expect(await exists(live)).toBe(true);
  });

  it('removes failed sign-ins past their window and revocations past every access token they could stop', async () => {
    const clock = fakeClock();
    const t = buildTestApp(db, { ACCESS_TOKEN_EXPIRY_SECONDS: '60', JWT_LEEWAY_SECONDS: '0', REFRESH_TOKEN_EXPIRY_SECONDS: '3600' }, clock);
    const email = uniqueEmail();
    const browser = new Browser(t.app);
    await browser.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    await new Browser(t.app).post('/login', { email, password: 'not the password' });
    await browser.post('/logout');
    const counts = async () =>
      (
        await db.query<{ failures: number; revocations: number }>(
          `SELECT (SELECT coalesce(sum(failures), 0)::int FROM sign_in_failure_counts WHERE email = $1) AS failures,
                  (SELECT count(*)::int FROM session_revocations r JOIN users u ON u.id = r.user_id WHERE u.email = $1) AS revocations`,
          [email],
        )
      ).rows[0]!;
    expect(await counts()).toEqual({ failures: 1, revocations: 1 });

    clock.advance(59);
    await pruneExpiredRows(db, t.config, clock.now());
    expect(await counts()).toEqual({ failures: 1, revocations: 1 });
    clock.advance(15 * 60);
    await pruneExpiredRows(db, t.config, clock.now());
    expect(await counts()).toEqual({ failures: 0, revocations: 0 });
  });
});
