// Chains the factors of a sign-in: a first factor, then the second when the account has two-step
// on, then the session. Every way in ends here, so every session starts the same way.
import type { Request, Response } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { setAuthCookies } from '../auth/cookies.js';
import { clientInfo } from '../auth/middleware.js';
import { startSession } from '../auth/sessions.js';
import { clearSignInFailures } from '../auth/sign-in-failures.js';
import type { AppContext } from '../context.js';
import { countSignIn } from '../http/metrics.js';
import { releaseTries } from '../http/rate-limit-postgres.js';
import { isTotpEnabled } from '../mfa/totp.js';
import { rememberDevice } from '../notify/devices.js';
import { type FirstFactorMethod, startPendingSignIn } from './pending.js';

export interface SignIn {
  userId: string;
  email: string;
  /** How the person proved who they are, as recorded on login_succeeded: `password`, `password+totp`, … */
  method: string;
  shared: boolean;
  next: string;
}

/** After a first factor: the second step when two-step is on (303 /login/two-factor), else the session. */
export async function afterFirstFactor(ctx: AppContext, req: Request, res: Response, signIn: SignIn & { method: FirstFactorMethod }) {
  // A right password is no failure: the address's tries it took are given back (DESIGN §8).
  await releaseTries(ctx, res);
  if (!(await isTotpEnabled(ctx.db, signIn.userId))) return completeSignIn(ctx, req, res, signIn);
  await startPendingSignIn(ctx, res, signIn);
  res.redirect(303, '/login/two-factor');
}

/** Every factor proved: starts the session, sets its cookies and goes to `next`. */
export async function completeSignIn(ctx: AppContext, req: Request, res: Response, signIn: SignIn): Promise<void> {
  const client = clientInfo(req);
  const at = new Date(ctx.now());
  // Only a complete sign-in clears the failures: a known password must not reset the count of wrong codes.
  await clearSignInFailures(ctx.db, signIn.email);
  await releaseTries(ctx, res);
  const issued = await startSession(ctx, signIn.userId, client, { shared: signIn.shared });
  await recordAudit(ctx.db, ctx.logger, {
    type: AUDIT.loginSucceeded,
    userId: signIn.userId,
    sessionId: issued.sid,
    ...client,
    at,
    detail: { method: signIn.method },
  });
  countSignIn(ctx.metrics, 'ok');
  setAuthCookies(res, ctx.config, issued, issued.shared);
  rememberDevice(ctx, req, res, { id: signIn.userId });
  res.redirect(303, signIn.next);
}
