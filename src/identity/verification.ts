// Email verification and change of email: making links, mailing them, and what opening one does.
import type { Request } from 'express';
import { sendMail } from '../account/mail.js';
import { revokeResets } from '../account/password-reset.js';
import { AUDIT, recordAudit } from '../audit.js';
import { clientInfo } from '../auth/middleware.js';
import { endSessions } from '../auth/sessions.js';
import type { AppContext } from '../context.js';
import { sendSecurityEmail } from '../notify/security-email.js';
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
  | { kind: 'verified'; email: string }
  | { kind: 'changed'; email: string; oldEmail: string; sessionsEnded: number }
  | { kind: 'taken'; email: string }
  /** A verification link opened again after it did its work: the address is verified, nothing to do. */
  | { kind: 'already_verified'; email: string }
  | { kind: 'invalid' };

const LINK_TEXT: Record<EmailLinkPurpose, { subject: string; lines: string[] }> = {
  verify: {
    subject: 'Confirm your email for Smriti',
    lines: ['Please confirm that this address belongs to your new Smriti journal by opening this link within 24 hours:'],
  },
  change: {
    subject: 'Confirm your new email for Smriti',
    lines: ['Someone signed in to a Smriti journal asked to use this address for it. If it was you, open this link within 24 hours:'],
  },
};

/** A link in a transaction of its own; `capped` when the account asked too often this hour. */
export function requestEmailLink(
  ctx: AppContext,
  link: { userId: string; purpose: EmailLinkPurpose; email: string; sessionId?: string },
): Promise<EmailLinkRequest> {
  return ctx.db.transaction((tx) => createEmailLink(tx, link, new Date(ctx.now())));
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

/**
 * Spends a verify or change link. A change also needs the new address to be free still; it ends the
 * user's other sessions (keeping `keepSid`, or the one that asked) and the links to the old address.
 */
export async function openEmailLink(
  ctx: AppContext,
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
        await tx.query('UPDATE users SET email_verified_at = $2 WHERE id = $1', [userId, at]);
        await recordAudit(tx, ctx.logger, { type: AUDIT.emailVerified, userId, ...clientInfo(req), at });
        return { kind: 'verified', email: oldEmail };
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
  if (opened.kind === 'changed') sendSecurityEmail(ctx, userId, 'email_changed', { ...clientInfo(req), previousEmail: opened.oldEmail });
  return opened;
}
