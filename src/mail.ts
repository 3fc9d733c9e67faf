// Outgoing email: SMTP through nodemailer, or (development without SMTP_URL) one log line per email.
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from './config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** A simple HTML version of `text`, with every value in it escaped. */
  html?: string;
  /** What the email is for, named in the log lines (never its text: it may hold a secret link). */
  kind: string;
  /** The link the email carries, logged on its own line in development so it is easy to open. */
  link?: string;
  /** Extra header lines, such as List-Unsubscribe (RFC 8058). */
  headers?: Record<string, string>;
}

/** How this process sends email: through SMTP, or (no SMTP_URL outside production) into the log. */
export interface Mailer {
  /** The SMTP transport, made at the first email (nodemailer is not loaded before one is sent). */
  readonly transport: (() => Promise<Transporter>) | undefined;
  readonly from: string;
  readonly logger: Logger;
}

// Short enough that a dead SMTP server frees its socket soon; the person is never waiting on it.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export function createMailer(mail: Config['mail'], logger: Logger): Mailer {
  const { smtpUrl } = mail;
  let made: Promise<Transporter> | undefined;
  const transport = smtpUrl
    ? () => {
        made ??= import('nodemailer').then(({ default: nodemailer }) =>
          nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS }, { from: mail.from }),
        );
        return made;
      }
    : undefined;
  return { transport, from: mail.from, logger };
}

/** What became of an email: handed to the SMTP server, refused or undeliverable, or written to the log. */
export type MailOutcome = 'sent' | 'failed' | 'logged';

/** Never rejects: a failure is logged, because the person already has their answer. */
export async function sendMail(mailer: Mailer, message: MailMessage): Promise<MailOutcome> {
  const { transport, logger } = mailer;
  if (!transport) {
    // Development without SMTP_URL: the whole email, link included, as one structured log line.
    const email = { from: mailer.from, to: message.to, subject: message.subject, text: message.text };
    logger.info({ mail: message.kind, link: message.link, email }, 'email not sent (SMTP_URL is unset): written to the log instead');
    return 'logged';
  }
  try {
    const info = await (await transport()).sendMail({
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: message.headers,
    });
    logger.info({ mail: message.kind, to: message.to, messageId: info.messageId }, 'email sent');
    return 'sent';
  } catch (error) {
    logger.error({ mail: message.kind, to: message.to, err: error }, 'email could not be sent');
    return 'failed';
  }
}
