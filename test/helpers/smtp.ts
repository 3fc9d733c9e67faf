// A real SMTP server on a loopback port (smtp-server) keeping every message that arrives, parsed (mailparser).
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { vi } from 'vitest';

export const SMTP_USER = 'smriti';
export const SMTP_PASSWORD = 'mail-secret';

export interface MailCatcher {
  /** An SMTP_URL for the app, with the credentials this server demands. */
  url: string;
  messages: ParsedMail[];
  /** Messages to `address` received so far (only those with this `subject`, when given). */
  to(address: string, subject?: string): ParsedMail[];
  /** Waits until `address` has received `count` messages (with this `subject`, when given), and returns them. */
  waitFor(address: string, count?: number, subject?: string): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

const recipients = (mail: ParsedMail) => [mail.to ?? []].flat().flatMap((group) => group.value.map((a) => a.address?.toLowerCase()));

/** `refuseRecipients`: answer every RCPT TO with 550, as a broken or hostile mail server would. */
export async function startMailCatcher(options: { refuseRecipients?: boolean } = {}): Promise<MailCatcher> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: the default self-signed STARTTLS certificate would fail nodemailer's checks.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: auth.username });
      callback(new Error('Invalid username or password'));
    },
    onRcptTo(_address, _session, callback) {
      if (!options.refuseRecipients) return callback();
      const error: SMTPServerError = new Error('Mailbox unavailable');
      error.responseCode = 550;
      callback(error);
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  const to = (address: string, subject?: string) =>
    messages.filter((m) => recipients(m).includes(address.toLowerCase()) && (subject === undefined || m.subject === subject));
  return {
    url: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    messages,
    to,
    async waitFor(address, count = 1, subject) {
      await vi.waitFor(
        () => {
          const had = to(address, subject).length;
          if (had < count) throw new Error(`${address} has ${had} of ${count} messages${subject ? ` "${subject}"` : ''}`);
        },
        { timeout: 15_000, interval: 20 },
      );
      return to(address, subject);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
