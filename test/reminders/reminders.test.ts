// Reminders (issue 34): an email at the writer's chosen local time and days, only when nothing was
// written that day, sent once across processes, with a one-click unsubscribe (RFC 8058).
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/app.js';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { sendDueReminders, startReminders } from '../../src/reminders/scheduler.js';
import { type Browser, buildTestApp, fakeClock, LogCapture, signedInBrowser, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';

const SUBJECT = 'A moment to write?';
const HOUR = 60 * 60;
// Monday 7 December 2026, 20:59 in Berlin (UTC+1 in winter).
const MONDAY_BEFORE = Date.UTC(2026, 11, 7, 19, 59);

let db: Db;
let smtp: MailCatcher;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

/** A second, independent process on the same database: its own app, context, mailer and scheduler. */
function instance(clock: ReturnType<typeof fakeClock>): { t: TestApp; send: () => Promise<number> } {
  const t = buildTestApp(db, { SMTP_URL: smtp.url }, clock);
  const ctx = buildContext(t.config, { db, logger: createLogger('info', new LogCapture()), now: clock.now });
  return { t, send: () => sendDueReminders(ctx) };
}

async function writerInBerlin(t: TestApp, days: string[]): Promise<{ browser: Browser; email: string }> {
  const writer = await signedInBrowser(t.app);
  await db.query(`UPDATE users SET time_zone = 'Europe/Berlin', email_verified_at = now() WHERE email = $1`, [writer.email]);
  const saved = await writer.browser.postFields('/account/reminders', [
    ['enabled', 'on'],
    ['time', '21:00'],
    ...days.map((d): [string, string] => ['days', d]),
  ]);
  expect(saved.status).toBe(303);
  return writer;
}

const unsubscribeUrl = (mail: { text?: string }) => /http:\/\/smriti\.test(\/reminders\/unsubscribe\?token=\S+)/.exec(mail.text ?? '')![1]!;

describe('reminders', () => {
  it('sends one email per due day across two app instances, none on a day with an entry, none after the one-click unsubscribe', async () => {
    const clock = fakeClock(MONDAY_BEFORE);
    const [a, b] = [instance(clock), instance(clock)];
    const { browser, email } = await writerInBerlin(a.t, ['1', '2', '4']);
    expect(await Promise.all([a.send(), b.send()])).toEqual([0, 0]);

    clock.advance(60); // Monday 21:00 in Berlin
    const sent = await Promise.all([a.send(), b.send(), a.send(), b.send()]);
    expect(sent.reduce((x, y) => x + y)).toBe(1);
    const [mail] = await smtp.waitFor(email, 1, SUBJECT);
    expect(mail!.text).toContain('http://smriti.test/journal/new');
    const headers = new Map(mail!.headerLines.map((h) => [h.key, h.line.replace(/\r\n\s+/g, ' ')]));
    expect(headers.get('list-unsubscribe')).toMatch(/^List-Unsubscribe: <http:\/\/smriti\.test\/reminders\/unsubscribe\?token=[^>]+>$/);
    expect(headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    clock.advance(2 * HOUR);
    expect(await Promise.all([a.send(), b.send()])).toEqual([0, 0]);

    clock.advance(22 * HOUR); // Tuesday 21:00 in Berlin, after writing that day
    expect((await browser.post('/journal', { title: 'Tuesday', body: 'Wrote before the reminder.' })).status).toBe(303);
    expect(await Promise.all([a.send(), b.send()])).toEqual([0, 0]);

    clock.advance(24 * HOUR); // Wednesday: not a chosen day
    expect(await Promise.all([a.send(), b.send()])).toEqual([0, 0]);

    const oneClick = await request(b.t.app).post(unsubscribeUrl(mail!)).type('form').send('List-Unsubscribe=One-Click');
    expect(oneClick.status).toBe(200);
    expect(oneClick.text).toContain('You will get no more reminder emails');
    clock.advance(24 * HOUR); // Thursday 21:00: chosen, nothing written, but unsubscribed
    expect(await Promise.all([a.send(), b.send()])).toEqual([0, 0]);
    expect(smtp.to(email, SUBJECT)).toHaveLength(1);
    const page = await browser.get('/account/reminders');
    expect(page.text).toContain('Now: Off.');
  });

  it('asks before unsubscribing when the link is only opened, and refuses a forged link with a sentence', async () => {
    const clock = fakeClock(MONDAY_BEFORE + 60_000);
    const a = instance(clock);
    const { email } = await writerInBerlin(a.t, ['1']);
    expect(await a.send()).toBe(1);
    const [mail] = await smtp.waitFor(email, 1, SUBJECT);
    const url = unsubscribeUrl(mail!);
    const opened = await request(a.t.app).get(url);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('Stop reminder emails?');
    expect(opened.text).toContain(`action="${url.replaceAll('&', '&amp;')}"`);
    const stillOn = await db.query<{ enabled: boolean }>(
      'SELECT r.enabled FROM reminders r JOIN users u ON u.id = r.user_id WHERE u.email = $1',
      [email],
    );
    expect(stillOn.rows).toEqual([{ enabled: true }]);
    const forged = url.replace(/token=[^.]+/, 'token=00000000-0000-4000-8000-000000000000');
    for (const res of [await request(a.t.app).get(forged), await request(a.t.app).post(forged)]) {
      expect(res.status).toBe(400);
      expect(res.text).toContain('This unsubscribe link is not one Smriti sent');
    }
  });

  it('answers 400 with a summary and a message beside each wrong field, and saves nothing', async () => {
    const a = instance(fakeClock(MONDAY_BEFORE));
    const { browser } = await signedInBrowser(a.t.app);
    const res = await browser.postFields('/account/reminders', [
      ['enabled', 'on'],
      ['time', '25:00'],
    ]);
    expect(res.status).toBe(400);
    expect(res.text).toContain('class="error-summary" role="alert" tabindex="-1" id="error-summary" data-error-summary');
    expect(res.text).toContain('aria-invalid="true" aria-describedby="time-error"');
    expect(res.text).toContain('Choose a time of day, such as 21:00.');
    expect(res.text).toContain('Choose at least one day, or turn the reminder off.');
    expect((await browser.get('/account/reminders')).text).toContain('Now: Off.');
    const saved = await browser.postFields('/account/reminders', [
      ['time', '07:30'],
      ['days', '1'],
      ['days', '2'],
      ['days', '3'],
      ['days', '4'],
      ['days', '5'],
    ]);
    expect(saved.status).toBe(303);
    expect((await browser.get('/account/reminders')).text).toContain('Saved. Reminders are off.');
    await browser.postFields('/account/reminders', [
      ['enabled', 'on'],
      ['time', '07:30'],
      ['days', '1'],
      ['days', '2'],
      ['days', '3'],
      ['days', '4'],
      ['days', '5'],
    ]);
    expect((await browser.get('/account/reminders')).text).toContain('Now: On: on weekdays at 07:30.');
    expect((await browser.get('/account')).text).toContain('href="/account/reminders"');
  });

  it('sends nothing to an address that is not verified, and says so on the page', async () => {
    const a = instance(fakeClock(MONDAY_BEFORE + 60_000));
    const { browser, email } = await writerInBerlin(a.t, ['1']);
    await db.query('UPDATE users SET email_verified_at = NULL WHERE email = $1', [email]);
    expect(await a.send()).toBe(0);
    expect(smtp.to(email, SUBJECT)).toHaveLength(0);
    expect((await browser.get('/account/reminders')).text).toContain('Reminders go only to a verified address');
    await db.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [email]);
    expect(await a.send()).toBe(1);
    expect((await browser.get('/account/reminders')).text).not.toContain('Reminders go only to a verified address');
  });

  it('runs on the server’s own schedule and stops cleanly', async () => {
    const clock = fakeClock(MONDAY_BEFORE + 60_000);
    const a = instance(clock);
    const { email } = await writerInBerlin(a.t, ['1']);
    const ctx = buildContext(a.t.config, { db, logger: createLogger('info', new LogCapture()), now: clock.now });
    const scheduler = startReminders(ctx, 5);
    try {
      await smtp.waitFor(email, 1, SUBJECT);
    } finally {
      await scheduler.stop();
    }
    expect(smtp.to(email, SUBJECT)).toHaveLength(1);
  });
});
