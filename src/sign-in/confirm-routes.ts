// /account/confirm: the fresh sign-in that sensitive actions ask for (step-up, DESIGN §11). The
// password (and code) are checked here; other ways in draw their own buttons and call renewAuthTime.
import { type Request, type Response, Router } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { findSignedInUser, requirePageAuth } from '../auth/middleware.js';
import { checkCurrentPassword, limitedAnswer } from '../auth/password-checks.js';
import { CONFIRM_PATH } from '../auth/step-up.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import type { FieldErrors } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { safeNextPath } from '../http/safe-next.js';
import type { SignInFlow } from './methods.js';
import { ENTER_CODE, WRONG_CODE } from './two-factor-routes.js';

export function confirmRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();

  async function showConfirm(req: Request, res: Response) {
    const user = await findSignedInUser(ctx, res);
    await flow.renderConfirm(res, 200, user, safeNextPath(req.query.next, '/account'), {});
  }

  async function confirmWithPassword(req: Request, res: Response) {
    const user = await findSignedInUser(ctx, res);
    const form = textFields(req.body, ['current_password', 'code', 'next'] as const);
    const next = safeNextPath(form.next, '/account');
    const render = (status: number, errors: FieldErrors) => flow.renderConfirm(res, status, user, next, errors);
    const withCode = await flow.hasSecondFactor(user.id);
    if (form.current_password === '') return render(400, { current_password: 'Enter your password.' });
    if (withCode && form.code.trim() === '') return render(400, { code: ENTER_CODE });

    const check = await checkCurrentPassword(ctx, req, user, form.current_password);
    if (check.kind === 'limited') throw limitedAnswer(res, check);
    if (check.kind === 'wrong') return render(401, { current_password: 'That is not your password.' });
    let method = 'password';
    if (withCode) {
      const factor = await flow.checkSecondFactor(req, user, form.code);
      if (factor.kind === 'limited') throw limitedAnswer(res, factor);
      if (factor.kind === 'wrong') {
        await recordAudit(
          ctx.db,
          ctx.logger,
          auditEvent(ctx, req, { type: AUDIT.twoFactorFailed, userId: user.id, detail: { step_up: true } }),
        );
        return render(401, { code: factor.message ?? WRONG_CODE });
      }
      if (factor.notice) req.flash('info', factor.notice);
      method = `password+${factor.name}`;
    }
    await flow.renewAuthTime(req, res, { userId: user.id, method, next });
  }

  router.use(CONFIRM_PATH, requirePageAuth(ctx));
  router.get(CONFIRM_PATH, showConfirm);
  router.post(CONFIRM_PATH, confirmWithPassword);
  return router;
}
