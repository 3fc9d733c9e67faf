// The second step of a sign-in (/login/two-factor): a code from a registered second factor finishes
// the pending sign-in that a first factor started.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { findUserById, type User } from '../auth/users.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import { textFields } from '../http/forms.js';
import { countSecondStep } from '../http/metrics.js';
import { waitPhrase } from '../http/rate-limit.js';
import { failureLimiter } from '../http/rate-limit-postgres.js';
import type { SignInFlow } from './methods.js';
import {
  clearPendingCookie,
  endPendingSignIn,
  findPendingSignIn,
  giveBackCodeTry,
  MAX_CODE_FAILURES,
  type PendingSignIn,
  takeCodeTry,
} from './pending.js';

export const WRONG_CODE = 'That code is not right. Enter the 6-digit code your authenticator app shows now, or a recovery code.';
export const ENTER_CODE = 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.';

type RenderCode = (status: number, message: string) => void;

export function twoStepRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();
  // Failures only: a right code gives the address's try back (completeSignIn).
  const codeLimits = failureLimiter(ctx, ctx.rateLimits.loginPerIp, 'two_factor_ip', 'sign-in codes', {
    onLimited: () => countSecondStep(ctx.metrics, 'limited'),
  });

  async function showCodeForm(req: Request, res: Response) {
    if (!(await findPendingSignIn(ctx, req))) return pendingGone(ctx, res);
    res.render('auth/two-factor', { title: 'Two-step sign-in', errors: {} });
  }

  async function finishWithCode(req: Request, res: Response) {
    const pending = await findPendingSignIn(ctx, req);
    const user = pending && (await findUserById(ctx.db, pending.userId));
    if (!pending || !user) return pendingGone(ctx, res);
    const { code } = textFields(req.body, ['code'] as const);
    const render: RenderCode = (status, message) =>
      res.status(status).render('auth/two-factor', { title: 'Two-step sign-in', errors: { code: message } });
    if (code.trim() === '') return render(400, ENTER_CODE);

    // One of the pending sign-in's five tries, then one of the account's, each taken before the check.
    const tries = await takeCodeTry(ctx.db, pending, new Date(ctx.now()));
    if (tries === undefined) return pendingGone(ctx, res);
    const factor = await flow.checkSecondFactor(req, user, code);
    if (factor.kind === 'limited') {
      await giveBackCodeTry(ctx.db, pending);
      countSecondStep(ctx.metrics, 'limited');
      res.set('Retry-After', String(factor.retryAfterSeconds));
      return render(429, `Too many failed sign-ins for this account. Please wait ${waitPhrase(factor.retryAfterSeconds)} and try again.`);
    }
    if (factor.kind === 'wrong') return wrongCode(ctx, req, res, { ...pending, failures: tries }, user, render, factor.message);
    // Spent once: a second request with the same pending cookie finds it ended.
    if (!(await endPendingSignIn(ctx.db, pending, new Date(ctx.now())))) return pendingGone(ctx, res);
    clearPendingCookie(ctx, res);
    countSecondStep(ctx.metrics, factor.name === 'recovery_code' ? 'recovery_code' : 'totp');
    if (factor.notice) req.flash('info', factor.notice);
    await flow.completeSignIn(req, res, { ...pending, email: user.email, method: `${pending.method}+${factor.name}` });
  }

  router.get('/login/two-factor', showCodeForm);
  router.post('/login/two-factor', codeLimits, finishWithCode);
  return router;
}

async function wrongCode(
  ctx: AppContext,
  req: Request,
  res: Response,
  pending: PendingSignIn,
  user: User,
  render: RenderCode,
  message = WRONG_CODE,
) {
  const { failures } = pending;
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.twoFactorFailed, userId: user.id, detail: { failures } }));
  if (failures >= MAX_CODE_FAILURES) {
    countSecondStep(ctx.metrics, 'locked');
    await endPendingSignIn(ctx.db, pending, new Date(ctx.now()));
    clearPendingCookie(ctx, res);
    return res.redirect(303, '/login?flash=two_factor_locked');
  }
  countSecondStep(ctx.metrics, 'wrong_code');
  const left = MAX_CODE_FAILURES - failures;
  render(401, `${message} ${left} ${left === 1 ? 'try' : 'tries'} left.`);
}

/** No live pending sign-in (expired, spent, ended, or never): start again from the password. */
function pendingGone(ctx: AppContext, res: Response): void {
  clearPendingCookie(ctx, res);
  res.redirect(303, '/login?flash=sign_in_again');
}
