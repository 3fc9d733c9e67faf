// The account page: live sessions, revoking them, password change, recent security events (export,
// import and deletion are in data-routes.ts).
import { type RequestHandler, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { clearAuthCookies } from '../auth/cookies.js';
import { findSignedInUser, loadTimeZone, requirePageAuth, signInState } from '../auth/middleware.js';
import { checkCurrentPassword, limitedAnswer } from '../auth/password-checks.js';
import { hashPassword, passwordProblem } from '../auth/passwords.js';
import { endSessions, refuseHere } from '../auth/sessions.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import { updatePasswordHash } from '../auth/users.js';
import { auditEvent, clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import { AppError, type FieldErrors } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { loadJournalState } from '../journal/sealed.js';
import { endPendingSignIns } from '../sign-in/pending.js';
import { isUuid } from '../uuid.js';
import { accountDataRoutes } from './data-routes.js';
import { renderAccount } from './page.js';
import { revokeResets } from './password-reset.js';
import { timeZoneRoutes } from './time-zone-routes.js';

export function accountRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db, logger } = ctx;
  router.use('/account', requirePageAuth(ctx), loadTimeZone(ctx), loadJournalState(ctx));
  // Sensitive actions need a full sign-in within STEP_UP_SECONDS (DESIGN §11).
  const recent = requireRecentSignIn(ctx);
  router.use(accountDataRoutes(ctx, recent));
  router.use(timeZoneRoutes(ctx));

  router.get('/account', async (req, res) => {
    await renderAccount(ctx, res, 200, {}, takeFlash(req));
  });

  router.post('/account/password', recent, async (req, res) => {
    const auth = signInState(res);
    const form = textFields(req.body, ['current_password', 'new_password', 'new_password_confirm'] as const);
    const user = await findSignedInUser(ctx, res);
    const errors: FieldErrors = {};
    // An account made through a provider or with a passkey alone has no password yet: the recent sign-in (step-up) is the proof.
    const hasPassword = user.passwordHash !== null;
    if (hasPassword && form.current_password === '') errors.current_password = 'Enter your current password.';
    const badNew = await passwordProblem(form.new_password, user.email);
    if (badNew) errors.new_password = badNew;
    else if (form.new_password !== form.new_password_confirm) errors.new_password_confirm = 'The two new passwords do not match.';
    if (Object.keys(errors).length > 0) return renderAccount(ctx, res, 400, errors);

    const check = hasPassword ? await checkCurrentPassword(ctx, req, user, form.current_password) : { kind: 'ok' as const };
    if (check.kind === 'limited') throw limitedAnswer(res, check);
    if (check.kind === 'wrong') return renderAccount(ctx, res, 400, { current_password: check.message });
    const hash = await hashPassword(ctx.passwords, form.new_password, user.id);
    const at = new Date(ctx.now());
    const ended = await db.transaction(async (tx) => {
      await updatePasswordHash(tx, user.id, hash, at);
      await revokeResets(tx, user.id, at);
      await endPendingSignIns(tx, user.id, at);
      return endSessions(tx, user.id, 'password_changed', at, { keep: auth.sid });
    });
    refuseHere(ctx, ended, at);
    const revoked = ended.length;
    await recordAudit(db, logger, {
      type: AUDIT.passwordChanged,
      userId: user.id,
      sessionId: auth.sid,
      ...clientInfo(req),
      at,
      detail: { sessions_revoked: revoked, ...(!hasPassword ? { first_password: true } : {}) },
    });
    req.flash(
      'info',
      !hasPassword
        ? 'Your password was set. You can now sign in with it too.'
        : revoked
          ? `Your password was changed and ${revoked} other session${revoked === 1 ? ' was' : 's were'} signed out.`
          : 'Your password was changed.',
    );
    res.redirect(303, '/account');
    ctx.events.emit({ kind: 'password_changed', userId: user.id, ...clientInfo(req), at });
  });

  router.post('/account/sessions/revoke-others', recent, async (req, res) => {
    const auth = signInState(res);
    const at = new Date(ctx.now());
    const ended = await endSessions(db, auth.userId, 'revoked_by_user', at, { keep: auth.sid });
    refuseHere(ctx, ended, at);
    const revoked = ended.length;
    const event = { type: AUDIT.sessionRevoked, userId: auth.userId, sessionId: auth.sid, detail: { others: revoked } };
    await recordAudit(db, logger, auditEvent(ctx, req, event));
    req.flash('info', revoked ? `Signed out ${revoked} other session${revoked === 1 ? '' : 's'}.` : 'There were no other sessions.');
    res.redirect(303, '/account');
  });

  // Signing this browser out needs nothing more; ending another session is as sensitive as ending them all.
  const recentUnlessThisSession: RequestHandler<{ sid: string }> = (req, res, next) =>
    req.params.sid === signInState(res).sid ? next() : recent(req, res, next);

  router.post('/account/sessions/:sid/revoke', recentUnlessThisSession, async (req, res) => {
    const auth = signInState(res);
    const sid = req.params.sid;
    const at = new Date(ctx.now());
    const ended = isUuid(sid) ? await endSessions(db, auth.userId, 'revoked_by_user', at, { only: sid }) : [];
    refuseHere(ctx, ended, at);
    if (ended.length === 0) throw new AppError(404, 'not_found', 'There is no such session, or it has already ended.');
    await recordAudit(db, logger, auditEvent(ctx, req, { type: AUDIT.sessionRevoked, userId: auth.userId, sessionId: sid }));
    if (sid === auth.sid) {
      clearAuthCookies(res, ctx.config);
      // Signing this device out from here leaves no more behind than the header's Sign out.
      res.set('Clear-Site-Data', '"cache"');
      return res.redirect(303, '/login?flash=logged_out');
    }
    req.flash('info', 'That session was signed out.');
    res.redirect(303, '/account');
  });

  return router;
}
