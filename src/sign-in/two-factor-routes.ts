// The second step of a sign-in (/login/two-factor): a code from a registered second factor finishes
// the pending sign-in that a first factor started.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { recordSignInFailure, signInBlockedFor } from '../auth/sign-in-failures.js';
import { findUserById, type User } from '../auth/users.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import { textFields } from '../http/forms.js';
import { countSecondStep } from '../http/metrics.js';
import { limiter, waitPhrase } from '../http/rate-limit.js';
import { PostgresStore } from '../http/rate-limit-postgres.js';
import type { SignInFlow } from './methods.js';
import {
  clearPendingCookie,
  endPendingSignIn,
  findPendingSignIn,
  MAX_CODE_FAILURES,
  type PendingSignIn,
  recordCodeFailure,
} from './pending.js';

export const WRONG_CODE = 'That code is not right. Enter the 6-digit code your authenticator app shows now, or a recovery code.';
export const ENTER_CODE = 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.';

type RenderCode = (status: number, message: string) => void;

export function twoStepRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();
  const codeLimits = limiter(ctx.rateLimits.loginPerIp, ctx.now, 'sign-in codes', {
    store: new PostgresStore(ctx.db, ctx.now, 'two_factor_ip'),
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

    const waitSeconds = await signInBlockedFor(ctx.db, user.email, ctx.rateLimits.failedSignInsPerAccount, ctx.now());
    if (waitSeconds > 0) {
      countSecondStep(ctx.metrics, 'limited');
      res.set('Retry-After', String(waitSeconds));
      return render(429, `Too many failed sign-ins for this account. Please wait ${waitPhrase(waitSeconds)} and try again.`);
    }
    const factor = await flow.checkSecondFactor(req, user.id, code);
    if (factor.kind === 'wrong') return wrongCode(ctx, req, res, pending, user, render);
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

async function wrongCode(ctx: AppContext, req: Request, res: Response, pending: PendingSignIn, user: User, render: RenderCode) {
  const failures = await recordCodeFailure(ctx.db, pending);
  await recordSignInFailure(ctx.db, user.email, ctx.now());
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.twoFactorFailed, userId: user.id, detail: { failures } }));
  if (failures >= MAX_CODE_FAILURES) {
    countSecondStep(ctx.metrics, 'locked');
    await endPendingSignIn(ctx.db, pending, new Date(ctx.now()));
    clearPendingCookie(ctx, res);
    return res.redirect(303, '/login?flash=two_factor_locked');
  }
  countSecondStep(ctx.metrics, 'wrong_code');
  const left = MAX_CODE_FAILURES - failures;
  render(401, `${WRONG_CODE} ${left} ${left === 1 ? 'try' : 'tries'} left.`);
}

/** No live pending sign-in (expired, spent, ended, or never): start again from the password. */
function pendingGone(ctx: AppContext, res: Response): void {
  clearPendingCookie(ctx, res);
  res.redirect(303, '/login?flash=sign_in_again');
}
