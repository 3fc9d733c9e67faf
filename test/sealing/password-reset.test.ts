// A password reset gives back the account, not the journal (DESIGN §16): it stays sealed, its
// wrapped keys stay, and the signed-in writer still reads only ciphertext until a wrapper opens it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { Browser, buildTestApp, signedInBrowser, TEST_ORIGIN, writeEntry } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { type MailCatcher, startMailCatcher } from '../helpers/smtp.js';
import { sealJournal, sealPending } from './helpers.js';

const NEW_PASSWORD = 'a brand new passphrase';
const RESET_SUBJECT = 'Reset your Smriti password';

let db: Db;
let smtp: MailCatcher;
beforeAll(async () => {
  [db, smtp] = await Promise.all([createTestDb(), startMailCatcher()]);
});
afterAll(() => Promise.all([db.close(), smtp.close()]));

describe('a password reset of a sealed account', () => {
  it('leaves the journal sealed and its wrapped keys in place', async () => {
    const t = buildTestApp(db, { SMTP_URL: smtp.url, MAIL_FROM: 'Smriti <no-reply@smriti.test>' });
    const { browser, email } = await signedInBrowser(t.app);
    const id = await writeEntry(browser, 'Secret', 'Only mine to read.');
    await sealJournal(browser);
    await sealPending(browser);
    const keysBefore = (await browser.json('get', '/api/sealing/wrapped')).body.keys;
    const sealedBefore = (await browser.json('get', `/api/entries/${id}`)).body.sealed;

    expect((await new Browser(t.app).post('/password/forgot', { email })).status).toBe(200);
    const [mail] = await smtp.waitFor(email, 1, RESET_SUBJECT);
    const link = mail!.text?.match(/http:\/\/smriti\.test\/password\/reset\?token=[\w.-]+/)?.[0];
    const token = new URL(link!, TEST_ORIGIN).searchParams.get('token')!;
    const reset = await new Browser(t.app).post('/password/reset', {
      token,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    expect(reset.status).toBe(303);

    const again = new Browser(t.app);
    expect((await again.post('/login', { email, password: NEW_PASSWORD })).status).toBe(303);
    expect((await again.json('get', '/api/sealing')).body).toMatchObject({ sealed: true, state: 'sealed', remaining: 0 });
    expect((await again.json('get', '/api/sealing/wrapped')).body.keys).toEqual(keysBefore);
    const entry = (await again.json('get', `/api/entries/${id}`)).body;
    expect(entry.sealed).toBe(sealedBefore);
    expect(entry).not.toHaveProperty('body');
    expect((await again.get('/journal')).text).toContain('<meta name="smriti-journal" content="sealed"');
  });
});
