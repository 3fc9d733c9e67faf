// The one place a fresh sign-in (step-up, DESIGN §11) renews auth_time: the password, the code, a
// passkey and the provider all end here, and only the session of the person who just proved
// themselves is renewed.
import type { Request, Response } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { REFRESH_COOKIE, readCookie } from '../auth/cookies.js';
import { auditEvent, refreshSession } from '../auth/middleware.js';
import { sessionOfRefreshToken } from '../auth/sessions.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';

/** How the person proved it: recorded on the step_up event. */
export type FreshSignInMethod = 'password' | 'password+totp' | 'password+recovery_code' | 'passkey' | 'oidc';

const NOT_YOUR_SESSION =
  'This browser is signed in to a different Smriti account than the one you just confirmed, so nothing was renewed. Sign out and sign in to your own account.';

/**
 * `userId` just proved who they are; the refresh cookie this request carries gets a new pair with
 * auth_time now, unless it is another account's session (a stolen or planted cookie): then it is
 * refused (403) and audited, and nothing is renewed.
 */
export async function renewAuthTime(
  ctx: AppContext,
  req: Request,
  res: Response,
  proven: { userId: string; method: FreshSignInMethod; next: string },
): Promise<void> {
  const session = sessionOfRefreshToken(ctx, readCookie(req.cookies, REFRESH_COOKIE));
  if (session && session.userId !== proven.userId) {
    // Written under the account whose session was presented: it is the one someone tried to use.
    const detail = { method: proven.method, proven_user: proven.userId };
    await recordAudit(
      ctx.db,
      ctx.logger,
      auditEvent(ctx, req, { type: AUDIT.stepUpRefused, userId: session.userId, sessionId: session.sid, detail }),
    );
    throw new AppError(403, 'wrong_session', NOT_YOUR_SESSION);
  }
  const rotation = await refreshSession(ctx, req, res, Math.floor(ctx.now() / 1000));
  if (rotation.kind !== 'ok' && rotation.kind !== 'grace')
    return res.redirect(303, `/login?flash=session_expired&next=${encodeURIComponent(proven.next)}`);
  const event = { type: AUDIT.stepUp, userId: proven.userId, sessionId: rotation.session.sid, detail: { method: proven.method } };
  await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, event));
  res.redirect(303, proven.next);
}
