// The sign-in flow: a first factor, then the second when the account has one, then the session.
// Every way in ends here, so every session starts the same way; ways in and factors register with it.
import type { Request, Response } from 'express';
import { AUDIT, recordAudit } from '../audit.js';
import { REFRESH_COOKIE, readCookie, setAuthCookies } from '../auth/cookies.js';
import { refreshSession, saveWriterTimeZone } from '../auth/middleware.js';
import { sessionOfRefreshToken, startSession } from '../auth/sessions.js';
import { clearSignInFailures } from '../auth/sign-in-failures.js';
import type { User } from '../auth/users.js';
import { auditEvent, clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import { AppError, type FieldErrors } from '../http/errors.js';
import { countSignIn } from '../http/metrics.js';
import { releaseTries } from '../http/rate-limit-postgres.js';
import { proveMailbox } from './mailbox-proof.js';
import type { SecondFactor, SecondFactorCheck, SessionHook, SignIn, SignInFlow, SignInMethod, SignInPartials } from './methods.js';
import { startPendingSignIn } from './pending.js';

export interface FlowParts {
  methods: readonly SignInMethod[];
  secondFactors: readonly SecondFactor[];
  onSessionStarted: readonly SessionHook[];
}

const NOT_YOUR_SESSION =
  'This browser is signed in to a different Smriti account than the one you just confirmed, so nothing was renewed. Sign out and sign in to your own account.';

export function createSignInFlow(ctx: AppContext, parts: FlowParts): SignInFlow {
  const slot = (name: keyof SignInPartials) => parts.methods.flatMap((m) => (m.partials?.[name] ? [m.partials[name]] : []));
  const wayIn = { login: slot('login'), register: slot('register') };
  const scripts = [...new Set(parts.methods.flatMap((m) => m.scripts ?? []))];
  const removers = [...parts.methods.flatMap((m) => (m.removeAll ? [m.removeAll] : [])), ...parts.secondFactors.map((f) => f.removeAll)];

  async function hasSecondFactor(userId: string): Promise<boolean> {
    for (const factor of parts.secondFactors) if (await factor.isEnabled(ctx, userId)) return true;
    return false;
  }

  async function completeSignIn(req: Request, res: Response, signIn: SignIn): Promise<void> {
    const client = clientInfo(req);
    // Only a complete sign-in clears the failures: a known password must not reset the count of wrong codes.
    if (!signIn.registration) await clearSignInFailures(ctx.db, signIn.email);
    await releaseTries(ctx, res);
    const issued = await startSession(ctx, signIn.userId, client, { shared: signIn.shared });
    const type = signIn.registration ? AUDIT.registered : AUDIT.loginSucceeded;
    const event = { type, userId: signIn.userId, sessionId: issued.sid, detail: { method: signIn.method } };
    await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, event));
    if (!signIn.registration) countSignIn(ctx.metrics, 'ok');
    // Saved only now: a first factor alone (two-step still to come) changes nothing of the account.
    await saveWriterTimeZone(ctx, signIn.userId, req.body?.time_zone);
    setAuthCookies(res, ctx.config, issued, issued.shared);
    for (const hook of parts.onSessionStarted) hook(req, res, signIn);
    if (signIn.newAccount) {
      const { email, newAccount } = signIn;
      ctx.events.emit({ kind: 'account_created', userId: signIn.userId, email, emailVerified: newAccount.emailVerified, ...client });
    }
    res.redirect(303, signIn.next);
  }

  return {
    hasSecondFactor,
    completeSignIn,
    proveMailbox: (tx, proof) => proveMailbox(ctx, removers, tx, proof),

    async afterFirstFactor(req, res, signIn) {
      // A right first factor is no failure: the address's tries it took are given back (DESIGN §8).
      await releaseTries(ctx, res);
      if (!(await hasSecondFactor(signIn.userId))) return completeSignIn(req, res, signIn);
      await startPendingSignIn(ctx, res, signIn);
      res.redirect(303, '/login/two-factor');
    },

    async checkSecondFactor(req, user, code) {
      let answer: SecondFactorCheck = { kind: 'wrong' };
      for (const factor of parts.secondFactors) {
        if (!(await factor.isEnabled(ctx, user.id))) continue;
        answer = await factor.check(ctx, req, user, code);
        if (answer.kind !== 'wrong') return answer;
      }
      return answer;
    },

    async renewAuthTime(req, res, proof) {
      // The proof is of `proof.userId`; the cookie renewed must be that user's session, or anyone
      // holding a stolen cookie could confirm it with their own password, passkey or provider.
      const session = sessionOfRefreshToken(ctx, readCookie(req.cookies, REFRESH_COOKIE));
      if (session && session.userId !== proof.userId) {
        // Written under the account whose session was presented: it is the one someone tried to use.
        const detail = { method: proof.method, proven_user: proof.userId };
        const event = { type: AUDIT.stepUpRefused, userId: session.userId, sessionId: session.sid, detail };
        await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, event));
        throw new AppError(403, 'wrong_session', NOT_YOUR_SESSION);
      }
      const rotation = await refreshSession(ctx, req, res, Math.floor(ctx.now() / 1000));
      if (rotation.kind !== 'ok' && rotation.kind !== 'grace')
        return res.redirect(303, `/login?flash=session_expired&next=${encodeURIComponent(proof.next)}`);
      const event = { type: AUDIT.stepUp, userId: proof.userId, sessionId: rotation.session.sid, detail: { method: proof.method } };
      await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, event));
      res.redirect(303, proof.next);
    },

    renderLogin(res, status, locals) {
      res.status(status).render('auth/login', {
        title: 'Sign in',
        email: '',
        errors: {},
        messages: [],
        ...locals,
        wayIn: wayIn.login,
        scripts,
      });
    },

    renderRegister(res, status, locals) {
      res
        .status(status)
        .render('auth/register', { title: 'Create your journal', email: '', errors: {}, ...locals, wayIn: wayIn.register, scripts });
    },

    async renderConfirm(res, status, user: User, next: string, errors: FieldErrors) {
      const able = await Promise.all(
        parts.methods.map(async (m) => (m.partials?.confirm && (await m.canConfirm?.(ctx, user)) ? m : undefined)),
      );
      const confirmers = able.filter((m) => m !== undefined);
      res.status(status).render('account/confirm', {
        title: 'Confirm it is you',
        email: user.email,
        next,
        withCode: await hasSecondFactor(user.id),
        withPassword: user.passwordHash !== null,
        wayIn: confirmers.map((m) => m.partials!.confirm!),
        errors,
        scripts: [...new Set(confirmers.flatMap((m) => m.scripts ?? []))],
      });
    },
  };
}
