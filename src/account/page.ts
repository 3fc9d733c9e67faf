// Renders the account page, for the routes in routes.ts and data-routes.ts alike.
import type { Response } from 'express';
import { listRecentEvents } from '../audit.js';
import { findSignedInUser, signInState } from '../auth/middleware.js';
import { listSessions } from '../auth/sessions.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { identitySection } from '../identity/account-section.js';
import { countRecoveryCodes } from '../mfa/recovery-codes.js';
import { isTotpEnabled } from '../mfa/totp.js';
import { displayIp } from '../notify/ip.js';
import { describeDevice } from '../notify/user-agent.js';
import { listPasskeys } from '../passkeys/credentials.js';
import { PASSKEY_SCRIPTS } from '../passkeys/static.js';

/** The account page; other account routes re-render it with field errors (`errors`) and a status. */
export async function renderAccount(ctx: AppContext, res: Response, status = 200, errors: FieldErrors = {}, messages: string[] = []) {
  const auth = signInState(res);
  const user = await findSignedInUser(ctx, res);
  const sessions = (await listSessions(ctx.db, auth.userId, new Date(ctx.now())))
    .map((s) => ({ ...s, ip: displayIp(s.ip), device: describeDevice(s.userAgent), current: s.sid === auth.sid }))
    .sort((a, b) => Number(b.current) - Number(a.current));
  const events = (await listRecentEvents(ctx.db, auth.userId)).map((e) => ({
    ...e,
    ip: displayIp(e.ip),
    device: describeDevice(e.userAgent),
  }));
  const renewsEvery = inWords(ctx.config.jwt.accessTtlSeconds);
  const identity = await identitySection(ctx, user);
  const twoFactor = (await isTotpEnabled(ctx.db, auth.userId)) ? { codesLeft: await countRecoveryCodes(ctx.db, auth.userId) } : undefined;
  const passkeys = await listPasskeys(ctx.db, auth.userId);
  res.status(status).render('account/index', {
    title: 'Account',
    email: user.email,
    hasPassword: user.passwordHash !== null,
    passkeys,
    sessions,
    events,
    renewsEvery,
    twoFactor,
    identity,
    errors,
    messages,
    // error-summary.js focuses a refused form's summary (the password form sits far down the page).
    scripts: [...PASSKEY_SCRIPTS, '/js/error-summary.js'],
  });
}

/** "30 minutes", "8 hours", "2 days": how often a device in use renews its sign-in. */
function inWords(seconds: number): string {
  const [count, unit] =
    seconds >= 2 * 86400 ? [seconds / 86400, 'day'] : seconds >= 2 * 3600 ? [seconds / 3600, 'hour'] : [seconds / 60, 'minute'];
  const rounded = Math.max(1, Math.round(count));
  return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
}
