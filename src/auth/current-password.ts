// The current password asked again before a change: wrong guesses count against the account's
// sign-in failures, so a stolen session cannot guess it without limit.
import type { Request } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import type { AppContext } from '../context.js';
import { waitPhrase } from '../http/rate-limit.js';
import { auditEvent } from './middleware.js';
import { verifyPassword } from './passwords.js';
import { recordSignInFailure, signInBlockedFor } from './sign-in-failures.js';
import type { User } from './users.js';

export type CurrentPasswordCheck =
  | { kind: 'ok' }
  | { kind: 'wrong'; message: string }
  | { kind: 'limited'; retryAfterSeconds: number; message: string };

export async function checkCurrentPassword(ctx: AppContext, req: Request, user: User, password: string): Promise<CurrentPasswordCheck> {
  const wait = await signInBlockedFor(ctx.db, user.email, ctx.rateLimits.failedSignInsPerAccount, ctx.now());
  if (wait > 0) {
    return {
      kind: 'limited',
      retryAfterSeconds: wait,
      message: `Too many wrong passwords. Please wait ${waitPhrase(wait)} and try again.`,
    };
  }
  if (await verifyPassword(ctx.passwords, password, user.passwordHash)) return { kind: 'ok' };
  await recordSignInFailure(ctx.db, user.email, ctx.now());
  await recordAudit(
    ctx.db,
    ctx.logger,
    auditEvent(ctx, req, { type: AUDIT.loginFailed, userId: user.id, detail: { current_password: true } }),
  );
  return { kind: 'wrong', message: 'That is not your current password.' };
}
