// /account/two-factor: set up an authenticator app, turn two-step sign-in off, new recovery codes.
// Every route here needs a recent full sign-in (step-up).
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { findSignedInUser, requirePageAuth } from '../auth/middleware.js';
import { checkCurrentPassword, limitedAnswer } from '../auth/password-checks.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import type { User } from '../auth/users.js';
import { auditEvent, clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { takeFlash } from '../http/flash.js';
import { textFields } from '../http/forms.js';
import { countRecoveryCodes, removeRecoveryCodes, replaceRecoveryCodes } from './recovery-codes.js';
import { checkSecondFactor, checkSetupCode, REUSED_CODE } from './second-factor.js';
import { beginTotpSetup, enableTotp, findTotp, removeTotp } from './totp.js';

const PAGE = '/account/two-factor';

export function twoFactorRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  router.use(PAGE, requirePageAuth(ctx), requireRecentSignIn(ctx));

  router.get(PAGE, async (req, res) => {
    await renderTwoFactor(ctx, req, res, 200, await findSignedInUser(ctx, res), {});
  });

  router.post(`${PAGE}/enable`, async (req, res) => {
    const user = await findSignedInUser(ctx, res);
    const form = textFields(req.body, ['current_password', 'code'] as const);
    const render = (status: number, errors: FieldErrors) => renderTwoFactor(ctx, req, res, status, user, errors);
    const problem = await passwordAndCodeProblem(ctx, req, res, user, form);
    if (problem) return render(problem.status, problem.errors);
    const state = await findTotp(db, ctx.secretBox, user.id);
    if (state?.enabled) return res.redirect(303, PAGE);
    const factor = await checkSetupCode(ctx, user, form.code);
    if (factor.kind === 'limited') throw limitedAnswer(res, factor);
    if (factor.kind === 'wrong') {
      return render(400, {
        code: factor.reused ? REUSED_CODE : 'That code is not right. Enter the 6-digit code your authenticator app shows now.',
      });
    }
    const at = new Date(ctx.now());
    const codes = await db.transaction(async (tx) => {
      await enableTotp(tx, user.id, at);
      return replaceRecoveryCodes(tx, user.id, at);
    });
    await recordAudit(db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.twoFactorEnabled, userId: user.id }));
    ctx.events.emit({ kind: 'two_factor_enabled', userId: user.id, ...clientInfo(req), at });
    res.render('mfa/recovery-codes', { title: 'Your recovery codes', codes, justEnabled: true });
  });

  router.post(`${PAGE}/disable`, async (req, res) => {
    const user = await findSignedInUser(ctx, res);
    const form = textFields(req.body, ['current_password', 'code'] as const);
    const render = (status: number, errors: FieldErrors) => renderTwoFactor(ctx, req, res, status, user, errors);
    const problem = await passwordAndCodeProblem(ctx, req, res, user, form);
    if (problem) return render(problem.status, problem.errors);
    const factor = await checkSecondFactor(ctx, user, form.code);
    if (factor.kind === 'limited') throw limitedAnswer(res, factor);
    if (factor.kind === 'wrong') {
      await recordAudit(
        db,
        ctx.logger,
        auditEvent(ctx, req, { type: AUDIT.twoFactorFailed, userId: user.id, detail: { disabling: true } }),
      );
      return render(400, {
        code: factor.reused ? REUSED_CODE : 'That code is not right. Enter a code from your authenticator app, or a recovery code.',
      });
    }
    await db.transaction(async (tx) => {
      await removeTotp(tx, user.id);
      await removeRecoveryCodes(tx, user.id);
    });
    await recordAudit(db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.twoFactorDisabled, userId: user.id }));
    ctx.events.emit({ kind: 'two_factor_disabled', userId: user.id, ...clientInfo(req) });
    req.flash('info', 'Two-step sign-in is off. Your password alone now signs you in.');
    res.redirect(303, '/account');
  });

  router.post(`${PAGE}/recovery-codes`, async (req, res) => {
    const user = await findSignedInUser(ctx, res);
    if (!(await findTotp(db, ctx.secretBox, user.id))?.enabled) return res.redirect(303, PAGE);
    const codes = await replaceRecoveryCodes(db, user.id, new Date(ctx.now()));
    await recordAudit(db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.recoveryCodesRegenerated, userId: user.id }));
    res.render('mfa/recovery-codes', { title: 'Your recovery codes', codes, justEnabled: false });
  });

  return router;
}

/** The password and code fields both given, and the password right (wrong ones count as failed sign-ins). */
async function passwordAndCodeProblem(
  ctx: AppContext,
  req: Request,
  res: Response,
  user: User,
  form: { current_password: string; code: string },
): Promise<{ status: number; errors: FieldErrors } | undefined> {
  const errors: FieldErrors = {};
  if (form.current_password === '') errors.current_password = 'Enter your current password.';
  if (form.code.trim() === '') errors.code = 'Enter the code from your authenticator app.';
  if (Object.keys(errors).length > 0) return { status: 400, errors };
  const checked = await checkCurrentPassword(ctx, req, user, form.current_password);
  if (checked.kind === 'ok') return undefined;
  if (checked.kind === 'limited') throw limitedAnswer(res, checked);
  return { status: 400, errors: { current_password: checked.message } };
}

async function renderTwoFactor(ctx: AppContext, req: Request, res: Response, status: number, user: User, errors: FieldErrors) {
  const state = await findTotp(ctx.db, ctx.secretBox, user.id);
  const messages = takeFlash(req);
  if (state?.enabled) {
    const codesLeft = await countRecoveryCodes(ctx.db, user.id);
    return res.status(status).render('mfa/two-factor', { title: 'Two-step sign-in', enabled: true, codesLeft, errors, messages });
  }
  const setup = await beginTotpSetup(ctx.db, ctx.secretBox, user.id, user.email, new Date(ctx.now()));
  res.status(status).render('mfa/two-factor', { title: 'Two-step sign-in', enabled: false, setup, errors, messages });
}
