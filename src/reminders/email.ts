// The reminder's words, and its one-click unsubscribe headers (RFC 2369 List-Unsubscribe, RFC 8058).
import type { MailMessage } from '../mail.js';
import { describeDays } from './schedule.js';

export function reminderEmail(to: string, settings: { time: string; weekdays: number[] }, origin: string, token: string): MailMessage {
  const unsubscribe = `${origin}/reminders/unsubscribe?token=${encodeURIComponent(token)}`;
  const text = [
    'Nothing is written in your journal today yet. A line or two is enough:',
    `${origin}/journal/new`,
    '',
    `You asked Smriti for this reminder ${describeDays(settings.weekdays)} at ${settings.time}, only on days you have not written.`,
    `Change it at ${origin}/account/reminders, or stop these emails with one click:`,
    unsubscribe,
    '',
    '— Smriti',
  ].join('\n');
  return {
    kind: 'reminder',
    to,
    subject: 'A moment to write?',
    text,
    headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}
