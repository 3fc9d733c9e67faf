// Forgotten password: ask for a link by email, then choose a new password with it. No sign-in needed.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { clearAuthCookies } from '../auth/cookies.js';
import { hashPassword, passwordProblem } from '../auth/passwords.js';
import { endSessions, refuseHere } from '../auth/sessions.js';
import { clearSignInFailures } from '../auth/sign-in-failures.js';
import { emailProblem, findUserByEmail, findUserById, mayReceiveResetLink, updatePasswordHash } from '../auth/users.js';
import { clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { emailKey, limiter } from '../http/rate-limit.js';
import { PostgresStore } from '../http/rate-limit-postgres.js';
import { sendMail } from '../mail.js';
import type { SignInFlow } from '../sign-in/methods.js';
import { endPendingSignIns } from '../sign-in/pending.js';
import {
  consumeReset,
  isResetUsable,
  parseResetToken,
  type ResetTokenParts,
  requestPasswordReset,
  revokeResets,
} from './password-reset.js';

function lifetimePhrase(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function resetEmailText(link: string, lifetime: string): string {
  return [
    'Hello,',
    '',
    `Someone asked to reset the password of the Smriti account for this address. If it was you, open this link within ${lifetime} to choose a new password:`,
    '',
    link,
    '',
    'The link works once. If you did not ask, ignore this email: your password stays as it is.',
  ].join('\n');
}

// The token rides in the URL: keep it out of any Referer header (no page is cached: see app.ts).
function privatePage(res: Response): void {
  res.set('Referrer-Policy', 'no-referrer');
}

export function passwordResetRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();
  const { config, db, logger } = ctx;
  const limits = ctx.rateLimits;
  const forgotLimits = [
    limiter(limits.forgotPerIp, ctx.now, 'password reset requests', { store: new PostgresStore(ctx.db, ctx.now, 'forgot_ip') }),
    limiter(limits.forgotPerEmail, ctx.now, 'password reset requests for this address', {
      store: new PostgresStore(ctx.db, ctx.now, 'forgot_email'),
      key: emailKey,
    }),
  ];

  const renderForgot = (res: Response, status: number, email: string, errors: FieldErrors) =>
    res.status(status).render('password/forgot', { title: 'Forgot your password?', email, errors });

  const renderInvalidLink = (res: Response) => {
    privatePage(res);
    res.status(400).render('password/invalid-link', { title: 'This link cannot be used' });
  };

  const renderResetForm = (res: Response, token: string, status = 200, errors: FieldErrors = {}) => {
    privatePage(res);
    res.status(status).render('password/reset', { title: 'Choose a new password', token, errors });
  };

  router.get('/password/forgot', (_req, res) => renderForgot(res, 200, '', {}));

  router.post('/password/forgot', ...forgotLimits, async (req, res) => {
    const { email } = textFields(req.body, ['email'] as const);
    const badEmail = emailProblem(email);
    if (badEmail) return renderForgot(res, 400, email, { email: badEmail });

    const client = clientInfo(req);
    const at = new Date(ctx.now());
    const found = await findUserByEmail(db, email);
    // An unproved address gets no link (the page below answers the same): see mayReceiveResetLink.
    const user = found && mayReceiveResetLink(found, at.getTime()) ? found : undefined;
    const outcome = await db.transaction(async (tx) => {
      const result = await requestPasswordReset(tx, user?.id, {
        at,
        ttlSeconds: config.mail.resetExpirySeconds,
        cap: limits.forgotPerEmail,
        ip: client.ip,
      });
      await recordAudit(tx, logger, {
        type: AUDIT.passwordResetRequested,
        ...client,
        at,
        userId: found?.id ?? null,
        detail: { known_user: Boolean(found), mailed: result.kind === 'created', ...(found && !user ? { unverified: true } : {}) },
      });
      return result;
    });
    // The same page whether or not the account exists, or its hourly cap was reached.
    res.render('password/forgot-sent', { title: 'Check your email' });
    if (outcome.kind === 'created' && user) {
      const link = `${config.appOrigin}/password/reset?token=${outcome.token}`;
      void sendMail(ctx.mailer, {
        kind: 'password_reset',
        to: user.email,
        subject: 'Reset your Smriti password',
        text: resetEmailText(link, lifetimePhrase(config.mail.resetExpirySeconds)),
        link,
      });
    }
  });

  router.get('/password/reset', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const parts = parseResetToken(token);
    if (!parts || !(await isResetUsable(db, parts, new Date(ctx.now())))) return renderInvalidLink(res);
    renderResetForm(res, token);
  });

  router.post('/password/reset', async (req, res) => {
    const form = textFields(req.body, ['token', 'new_password', 'new_password_confirm'] as const);
    const parts = parseResetToken(form.token);
    if (!parts || !(await isResetUsable(db, parts, new Date(ctx.now())))) return renderInvalidLink(res);
    const badPassword = await passwordProblem(form.new_password, (await findUserById(db, parts.userId))?.email);
    if (badPassword) return renderResetForm(res, form.token, 400, { new_password: badPassword });
    if (form.new_password !== form.new_password_confirm) {
      return renderResetForm(res, form.token, 400, { new_password_confirm: 'The two new passwords do not match.' });
    }
    const hash = await hashPassword(ctx.passwords, form.new_password, parts.userId);
    if (!(await resetPassword(ctx, flow, req, parts, hash))) return renderInvalidLink(res);
    clearAuthCookies(res, config);
    res.redirect(303, '/login?flash=password_reset');
    ctx.events.emit({ kind: 'password_reset', userId: parts.userId, ...clientInfo(req) });
  });

  return router;
}

/**
 * Spends the link and, in the same transaction, sets the new hash, kills the user's other links and
 * ends every session. False when the link was spent meanwhile (two submissions racing).
 */
async function resetPassword(ctx: AppContext, flow: SignInFlow, req: Request, parts: ResetTokenParts, hash: string): Promise<boolean> {
  const { userId } = parts;
  const at = new Date(ctx.now());
  const client = clientInfo(req);
  const done = await ctx.db.transaction(async (tx) => {
    if (!(await consumeReset(tx, parts, at))) return undefined;
    // The link proved the mailbox and the new password is the way in: nothing added before stays.
    const removed = await flow.proveMailbox(tx, { userId, at, client, keepWaysIn: false });
    await updatePasswordHash(tx, userId, hash, at);
    await revokeResets(tx, userId, at);
    await endPendingSignIns(tx, userId, at);
    const ended = await endSessions(tx, userId, 'password_reset', at, { keep: null });
    const sessions = ended.length;
    await recordAudit(tx, ctx.logger, {
      type: AUDIT.passwordReset,
      userId,
      ...client,
      at,
      detail: { sessions_revoked: sessions },
    });
    return { removed, ended };
  });
  if (!done) return false;
  refuseHere(ctx, done.ended, at);
  if (done.removed.length > 0) ctx.events.emit({ kind: 'ways_in_removed', userId, ...client, at, removed: done.removed });
  // The person proved they hold the mailbox: failed sign-ins before the reset no longer block them.
  const user = await findUserById(ctx.db, userId);
  if (user) await clearSignInFailures(ctx.db, user.email);
  return true;
}
