// Renders the account page from its own parts and the sections createApp registered, for every
// route that answers with it (with field errors and a status).
import type { Response } from 'express';
import { listRecentEvents } from '../audit.js';
import { findSignedInUser, signInState } from '../auth/middleware.js';
import { listSessions } from '../auth/sessions.js';
import { describeDevice, displayIp } from '../client.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { loadSections, sectionScripts } from './sections.js';

async function sessionsOf(ctx: AppContext, userId: string, currentSid: string) {
  return (await listSessions(ctx.db, userId, new Date(ctx.now())))
    .map((s) => ({ ...s, ip: displayIp(s.ip), device: describeDevice(s.userAgent), current: s.sid === currentSid }))
    .sort((a, b) => Number(b.current) - Number(a.current));
}

async function eventsOf(ctx: AppContext, userId: string) {
  return (await listRecentEvents(ctx.db, userId)).map((e) => ({ ...e, ip: displayIp(e.ip), device: describeDevice(e.userAgent) }));
}

/** The account page; other account routes re-render it with field errors (`errors`) and a status. */
export async function renderAccount(ctx: AppContext, res: Response, status = 200, errors: FieldErrors = {}, messages: string[] = []) {
  const auth = signInState(res);
  const user = await findSignedInUser(ctx, res);
  const [sections, sessions, events] = await Promise.all([
    loadSections(ctx, ctx.accountSections, user),
    sessionsOf(ctx, auth.userId, auth.sid),
    eventsOf(ctx, auth.userId),
  ]);
  res.status(status).render('account/index', {
    title: 'Account',
    email: user.email,
    hasPassword: user.passwordHash !== null,
    sections,
    sessions,
    events,
    renewsEvery: inWords(ctx.config.jwt.accessTtlSeconds),
    errors,
    messages,
    // error-summary.js focuses a refused form's summary (the password form sits far down the page).
    scripts: [...sectionScripts(ctx.accountSections), '/js/error-summary.js'],
  });
}

/** "30 minutes", "8 hours", "2 days": how often a device in use renews its sign-in. */
function inWords(seconds: number): string {
  const [count, unit] =
    seconds >= 2 * 86400 ? [seconds / 86400, 'day'] : seconds >= 2 * 3600 ? [seconds / 3600, 'hour'] : [seconds / 60, 'minute'];
  const rounded = Math.max(1, Math.round(count));
  return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
}
