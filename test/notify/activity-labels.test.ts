// Defect 9 of issue 34: every security event on /account/activity reads as a sentence, never as its code's words.
import { describe, expect, it } from 'vitest';
import { AUDIT, recordAudit } from '../../src/audit.js';
import { createLogger } from '../../src/logger.js';
import { LogCapture, signedInBrowser, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

describe('activity labels', () => {
  it('writes each two-step, passkey and email event as a sentence', async () => {
    const { browser, email } = await signedInBrowser(setup.t.app);
    const user = (await setup.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!;
    const logger = createLogger('info', new LogCapture());
    const at = new Date(setup.t.clock.now());
    for (const type of Object.values(AUDIT)) await recordAudit(setup.db, logger, { type, userId: user.id, at });
    const page = (await browser.get('/account/activity')).text;
    expect(page).toContain('Failed two-step sign-in: wrong or already used code');
    expect(page).toContain('Two-step sign-in turned on');
    expect(page).toContain('A recovery code was used');
    expect(page).toContain('Passkey added');
    expect(page).not.toMatch(
      /<td>(Two factor|Recovery code used|Recovery codes regenerated|Step up|Email verified|Identity|Password check)\b/,
    );
  });
});
