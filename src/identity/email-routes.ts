// The email's pages: opening a link (GET /email/verify), resending the verification link, and
// asking to change the address (POST /account/email).
import { type RequestHandler, type Response, Router } from 'express';
import { renderAccount } from '../account/page.js';
import { AUDIT, recordAudit } from '../audit.js';
import { checkAccess, findSignedInUser, requirePageAuth, signInState } from '../auth/middleware.js';
import { checkCurrentPassword } from '../auth/password-checks.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import { emailProblem, findUserByEmail, normaliseEmail } from '../auth/users.js';
import { auditEvent } from '../client.js';
import type { AppContext } from '../context.js';
import { textFields } from '../http/forms.js';
import { waitPhrase } from '../http/rate-limit.js';
import type { SignInFlow } from '../sign-in/methods.js';
import { parseEmailLinkToken } from './email-links.js';
import { mailEmailLink, openEmailLink, requestEmailLink } from './verification.js';

// The token rides in the URL: keep it out of any Referer header.
function privatePage(res: Response): void {
  res.set('Referrer-Policy', 'no-referrer');
}

/** Behind accountRoutes' own check when mounted after it; checks for itself otherwise. */
function signedIn(ctx: AppContext): RequestHandler {
  const check = requirePageAuth(ctx);
  return (req, res, next) => (res.locals.auth ? next() : check(req, res, next));
}

const capped = ({ retryAfterSeconds: seconds, scope }: { retryAfterSeconds: number; scope: 'account' | 'address' }) =>
  scope === 'account'
    ? `You asked for several links this hour. Please wait ${waitPhrase(seconds)} and try again.`
    : `That address was sent several links this hour. Please wait ${waitPhrase(seconds)} and try again.`;

/** The ways in added before the address was proved were removed when this browser held none of them. */
function verifiedSentence(email: string, removed: string[]): string {
  if (removed.length === 0) return `Thank you: ${email} is verified.`;
  return `Thank you: ${email} is verified. It was not yet proved when ${removed.join(', ')} ${removed.length === 1 ? 'was' : 'were'} added, so Smriti removed ${removed.length === 1 ? 'it' : 'them'} and signed out the account's sessions; we emailed you the list. To sign in, use your password or choose one with "Forgot your password?".`;
}

export function emailRoutes(ctx: AppContext, flow: SignInFlow): Router {
  const router = Router();
  const recent = requireRecentSignIn(ctx);

  router.get('/email/verify', async (req, res) => {
    privatePage(res);
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const parts = parseEmailLinkToken(token);
    const access = checkAccess(ctx, req);
    const here = access.kind === 'signed_in' && parts && access.auth.userId === parts.userId ? access.auth : undefined;
    const opened = parts ? await openEmailLink(ctx, flow, req, parts, here?.sid) : { kind: 'invalid' as const };
    const render = (status: number, heading: string, message: string) =>
      res.status(status).render('identity/email-link', { title: heading, heading, message, signedIn: Boolean(here) });
    if (opened.kind === 'invalid') {
      return render(
        400,
        'This link cannot be used',
        'This link is not valid: it was already used, has expired, or a newer one was sent. You can ask for a new one on your account page.',
      );
    }
    if (opened.kind === 'taken') {
      return render(409, 'That address is taken', 'Another Smriti account now uses that address, so your email was not changed.');
    }
    if (opened.kind === 'verified') return render(200, 'Email verified', verifiedSentence(opened.email, opened.removed));
    if (opened.kind === 'already_verified')
      return render(
        200,
        'Email already verified',
        `${opened.email} is verified: this link did that already, so there is nothing more to do.`,
      );
    const others = opened.sessionsEnded === 1 ? 'one other session was' : `${opened.sessionsEnded} other sessions were`;
    render(200, 'Email changed', `Your email is now ${opened.email}${opened.sessionsEnded ? `, and ${others} signed out` : ''}.`);
  });

  router.post('/account/email/verify', signedIn(ctx), async (req, res) => {
    const user = await findSignedInUser(ctx, res);
    if (user.emailVerifiedAt) {
      req.flash('info', 'Your email is already verified.');
      return res.redirect(303, '/account');
    }
    const outcome = await requestEmailLink(ctx, { userId: user.id, purpose: 'verify', email: user.email });
    if (outcome.kind === 'capped') {
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      return renderAccount(ctx, res, 429, { verify: capped(outcome) });
    }
    req.flash('info', `We sent a new link to ${user.email}. It works for 24 hours.`);
    res.redirect(303, '/account');
    void mailEmailLink(ctx, 'verify', user.email, outcome.token);
  });

  router.post('/account/email', signedIn(ctx), recent, async (req, res) => {
    const auth = signInState(res);
    const user = await findSignedInUser(ctx, res);
    const form = textFields(req.body, ['new_email', 'current_password'] as const);
    const badEmail = emailProblem(form.new_email);
    if (badEmail) return renderAccount(ctx, res, 400, { new_email: badEmail });
    const newEmail = normaliseEmail(form.new_email);
    if (newEmail === user.email.toLowerCase()) return renderAccount(ctx, res, 400, { new_email: 'That is already your email.' });
    // An account made through a provider has no password: the recent sign-in (step-up) is the proof.
    if (user.passwordHash !== null) {
      if (form.current_password === '') return renderAccount(ctx, res, 400, { email_password: 'Enter your current password.' });
      const check = await checkCurrentPassword(ctx, req, user, form.current_password);
      if (check.kind === 'limited') res.set('Retry-After', String(check.retryAfterSeconds));
      if (check.kind !== 'ok') return renderAccount(ctx, res, check.kind === 'limited' ? 429 : 400, { email_password: check.message });
    }
    if (await findUserByEmail(ctx.db, newEmail)) {
      return renderAccount(ctx, res, 409, { new_email: 'Another account already uses this email.' });
    }
    const outcome = await requestEmailLink(ctx, { userId: user.id, purpose: 'change', email: newEmail, sessionId: auth.sid });
    if (outcome.kind === 'capped') {
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      return renderAccount(ctx, res, 429, { new_email: capped(outcome) });
    }
    await recordAudit(ctx.db, ctx.logger, auditEvent(ctx, req, { type: AUDIT.emailChangeRequested, userId: user.id, sessionId: auth.sid }));
    req.flash('info', `We sent a link to ${newEmail}. Your email changes when you open it (within 24 hours).`);
    res.redirect(303, '/account');
    void mailEmailLink(ctx, 'change', newEmail, outcome.token);
  });

  return router;
}
