// Email verification and change of email: making links, mailing them, and what opening one does;
// and the owner's email when a provider account is linked.
import type { Request } from 'express';
import { revokeResets } from '../account/password-reset.js';
import { AUDIT, recordAudit } from '../audit.js';
import { endSessions } from '../auth/sessions.js';
import { normaliseEmail } from '../auth/users.js';
import { clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { SecurityListener } from '../events.js';
import { sendMail } from '../mail.js';
import type { SignInFlow } from '../sign-in/methods.js';
import {
  consumeEmailLink,
  createEmailLink,
  type EmailLinkParts,
  type EmailLinkPurpose,
  type EmailLinkRequest,
  revokeEmailLinks,
  verifiedByUsedLink,
} from './email-links.js';

export type OpenedLink =
  | { kind: 'verified'; email: string; removed: string[] }
  | { kind: 'changed'; email: string; oldEmail: string; sessionsEnded: number }
  | { kind: 'taken'; email: string }
  /** A verification link opened again after it did its work: the address is verified, nothing to do. */
  | { kind: 'already_verified'; email: string }
  | { kind: 'invalid' };

const LINK_TEXT: Record<EmailLinkPurpose, { subject: string; lines: string[] }> = {
  verify: {
    subject: 'Confirm your email for Smriti',
    lines: [
      'Please confirm that this address belongs to your new Smriti journal by opening this link within 24 hours.',
      'Open it in the browser where you are signed in to Smriti: opened anywhere else, the passkeys and other ways to sign in added before the address was confirmed are removed, in case someone else signed up with your address.',
      '',
    ],
  },
  change: {
    subject: 'Confirm your new email for Smriti',
    lines: ['Someone signed in to a Smriti journal asked to use this address for it. If it was you, open this link within 24 hours:'],
  },
};

/**
 * A link in a transaction of its own; `capped` when the account asked too often this hour. The
 * address is kept as users.email keeps it (trimmed, lower case), or opening the link would not match.
 */
export function requestEmailLink(
  ctx: AppContext,
  link: { userId: string; purpose: EmailLinkPurpose; email: string; sessionId?: string },
): Promise<EmailLinkRequest> {
  const normalised = { ...link, email: normaliseEmail(link.email) };
  return ctx.db.transaction((tx) => createEmailLink(tx, normalised, new Date(ctx.now())));
}

/** Never rejects (sendMail logs a failure); the token and link are never logged in production. */
export async function mailEmailLink(ctx: AppContext, purpose: EmailLinkPurpose, to: string, token: string): Promise<void> {
  const link = `${ctx.config.appOrigin}/email/verify?token=${token}`;
  const { subject, lines } = LINK_TEXT[purpose];
  const text = ['Hello,', '', ...lines, '', link, '', 'The link works once. If you did not ask for it, ignore this email.'].join('\n');
  await sendMail(ctx.mailer, { kind: `email_${purpose}`, to, subject, text, link });
}

/** After registration, once the response is out: a failure here is logged and never reaches the person. */
export async function sendVerificationLink(ctx: AppContext, userId: string, email: string): Promise<void> {
  try {
    const outcome = await requestEmailLink(ctx, { userId, purpose: 'verify', email });
    if (outcome.kind === 'created') await mailEmailLink(ctx, 'verify', email, outcome.token);
  } catch (error) {
    ctx.logger.error({ err: error, mail: 'email_verify', userId }, 'the verification link could not be made');
  }
}

/** The listener createApp gives the security events: a new account's unproved address gets its link. */
export function verifyNewAddresses(ctx: AppContext): SecurityListener {
  return (event) => {
    if (event.kind === 'account_created' && !event.emailVerified) return sendVerificationLink(ctx, event.userId, event.email);
  };
}

/**
 * Spends a verify or change link. A change also needs the new address to be free still; it ends the
 * user's other sessions (keeping `keepSid`, or the one that asked) and the links to the old address.
 */
export async function openEmailLink(
  ctx: AppContext,
  flow: SignInFlow,
  req: Request,
  parts: EmailLinkParts,
  keepSid: string | undefined,
): Promise<OpenedLink> {
  const at = new Date(ctx.now());
  const { userId } = parts;
  const opened = await ctx.db
    .transaction(async (tx): Promise<OpenedLink> => {
      const link = await consumeEmailLink(tx, parts, at);
      if (!link) {
        const email = await verifiedByUsedLink(tx, parts);
        return email ? { kind: 'already_verified', email } : { kind: 'invalid' };
      }
      const current = await tx.query<{ email: string }>('SELECT email FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const oldEmail = current.rows[0]?.email;
      if (oldEmail === undefined) return { kind: 'invalid' };
      if (link.purpose === 'verify') {
        // A link to an address the account no longer has proves nothing about the current one.
        if (oldEmail.toLowerCase() !== link.email.toLowerCase()) return { kind: 'invalid' };
        // Opened in a browser signed in to this account, the ways in are the prover's own; elsewhere they go.
        const removed = await flow.proveMailbox(tx, { userId, at, client: clientInfo(req), keepWaysIn: keepSid !== undefined });
        await tx.query('UPDATE users SET email_verified_at = $2 WHERE id = $1', [userId, at]);
        await recordAudit(tx, ctx.logger, { type: AUDIT.emailVerified, userId, ...clientInfo(req), at });
        // Whatever those ways in signed in to ends with them.
        if (removed.length > 0) await endSessions(tx, userId, 'ways_in_removed', at, { keep: null });
        return { kind: 'verified', email: oldEmail, removed };
      }
      const taken = await tx.query('SELECT 1 FROM users WHERE lower(email) = lower($1) AND id <> $2', [link.email, userId]);
      if (taken.rows.length > 0) return { kind: 'taken', email: link.email };
      await tx.query('UPDATE users SET email = $2, email_verified_at = $3 WHERE id = $1', [userId, link.email, at]);
      await revokeEmailLinks(tx, userId, at);
      // A reset link mailed to the old address must not outlive the change.
      await revokeResets(tx, userId, at);
      const keep = keepSid ?? link.sessionId;
      const sessionsEnded = (await endSessions(tx, userId, 'email_changed', at, { keep })).length;
      const event = {
        type: AUDIT.emailChanged,
        userId,
        sessionId: keep,
        ...clientInfo(req),
        at,
        detail: { sessions_revoked: sessionsEnded },
      };
      await recordAudit(tx, ctx.logger, event);
      return { kind: 'changed', email: link.email, oldEmail, sessionsEnded };
    })
    // Another account took the address between the check and the update (two changes racing).
    .catch((error: unknown): OpenedLink => {
      if ((error as { code?: string }).code === '23505') return { kind: 'taken', email: '' };
      throw error;
    });
  // The old address is told through the one security-email path (device, IP, time, and a metric).
  if (opened.kind === 'verified' && opened.removed.length > 0)
    ctx.events.emit({ kind: 'ways_in_removed', userId, ...clientInfo(req), at, removed: opened.removed });
  if (opened.kind === 'changed') ctx.events.emit({ kind: 'email_changed', userId, ...clientInfo(req), previousEmail: opened.oldEmail });
  return opened;
}

/** The owner hears of every provider account linked, as of a passkey added (passkeys/events.ts). */
export function tellOwnerOfLink(ctx: AppContext, req: Request, userId: string, provider: string, providerEmail: string | null): void {
  ctx.events.emit({ kind: 'identity_linked', userId, ...clientInfo(req), provider, providerEmail });
}
