// The words of each security email, as plain text and as simple HTML with every value escaped.
import type { SecurityEmailKind } from '../http/metrics.js';
import { escapeHtml } from '../http/views.js';

export interface EmailFacts {
  /** When it happened, already written for the reader (see formatEmailTime). */
  when: string;
  device: string;
  ip: string;
  /** APP_ORIGIN: links point at the account page and the forgotten-password page. */
  origin: string;
  /** theft: the session that was ended, e.g. "Firefox on Android, signed in 3 March 2026, 09:12 UTC". */
  endedSession?: string;
  passkeyName?: string;
  /** identity_linked: the provider, and the address of the account there when it gave one. */
  provider?: string;
  providerEmail?: string;
  /** ways_in_removed: what no longer signs in, in words. */
  removed?: string[];
  /** recovery_code_used: how many unused codes remain. */
  codesLeft?: number;
  /** email_changed: the address the account uses now. */
  newEmail?: string;
}

export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
}

/** One email: paragraphs, then "label: value" lines, then what to do with a link. */
interface Draft {
  subject: string;
  opening: string;
  facts: Array<[string, string]>;
  advice: string;
  link: string;
}

// The account's own time zone (saved from the browser at sign-in); UTC, said so, when none is known.
export function formatEmailTime(at: Date, timeZone: string | null): string {
  const zone = timeZone ?? 'UTC';
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'long', timeStyle: 'short' }).format(at);
  return `${text} (${zone === 'UTC' ? 'UTC' : `${zone} time`})`;
}

function render(draft: Draft): ComposedEmail {
  const facts = draft.facts.map(([label, value]) => `${label}: ${value}`);
  const text = [draft.opening, '', ...facts, '', draft.advice, draft.link, '', '— Smriti'].join('\n');
  const rows = draft.facts.map(([label, value]) => `<li>${escapeHtml(label)}: <strong>${escapeHtml(value)}</strong></li>`);
  const link = escapeHtml(draft.link);
  const html = [
    `<p>${escapeHtml(draft.opening)}</p>`,
    `<ul>${rows.join('')}</ul>`,
    `<p>${escapeHtml(draft.advice)} <a href="${link}">${link}</a></p>`,
    '<p>— Smriti</p>',
  ].join('\n');
  return { subject: draft.subject, text, html };
}

const where = (f: EmailFacts): Array<[string, string]> => [
  ['Device', f.device],
  ['IP address', f.ip],
  ['Time', f.when],
];

const DRAFTS: Record<SecurityEmailKind, (f: EmailFacts) => Draft> = {
  new_device: (f) => ({
    subject: 'New sign-in to your Smriti account',
    opening: 'Your Smriti account was just signed in to from a device it has not been used on before.',
    facts: where(f),
    advice: 'If this was you, there is nothing to do. If not, sign that session out on your account page and change your password:',
    link: `${f.origin}/account`,
  }),
  theft: (f) => ({
    subject: 'We signed out a session of your Smriti account',
    opening:
      'An old sign-in token of one of your sessions was used again. That happens when someone has copied it from a device, so Smriti ended the session at once.',
    facts: [
      ['Session ended', f.endedSession ?? 'unknown'],
      ['Token sent from', `${f.device}, IP address ${f.ip}`],
      ['Time', f.when],
    ],
    advice:
      'Sign in again on your devices. Then change your password, sign out every session you do not recognise, and check that device for unwanted software:',
    link: `${f.origin}/account`,
  }),
  password_changed: (f) => ({
    subject: 'Your Smriti password was changed',
    opening: 'The password of your Smriti account was changed, and every other session was signed out.',
    facts: where(f),
    advice: 'If this was not you, choose a new password right away with a link sent to this address:',
    link: `${f.origin}/password/forgot`,
  }),
  password_reset: (f) => ({
    subject: 'Your Smriti password was reset',
    opening: 'The password of your Smriti account was reset with a link sent to this address, and every session was signed out.',
    facts: where(f),
    advice: 'If this was not you, someone can read this mailbox: secure it first, then reset your password again:',
    link: `${f.origin}/password/forgot`,
  }),
  email_changed: (f) => ({
    subject: 'The email address of your Smriti account was changed',
    opening: `Your Smriti account no longer uses this address: its email was changed to ${f.newEmail ?? 'another one'}. Sign-in links and password resets now go there, and every other session was signed out.`,
    facts: where(f),
    advice: 'If this was not you, sign in, change your password and set your email back on your account page:',
    link: `${f.origin}/account`,
  }),
  two_factor_disabled: (f) => ({
    subject: 'Two-step sign-in was turned off for your Smriti account',
    opening: 'Two-step sign-in was turned off: from now on your password alone signs in to your account.',
    facts: where(f),
    advice: 'If this was not you, change your password and turn two-step sign-in on again on your account page:',
    link: `${f.origin}/account`,
  }),
  two_factor_enabled: (f) => ({
    subject: 'Two-step sign-in was turned on for your Smriti account',
    opening: 'Two-step sign-in was turned on: signing in now asks for a code from an authenticator app after the password.',
    facts: where(f),
    advice: 'If this was not you, someone else knows your password: change it and check two-step sign-in on your account page:',
    link: `${f.origin}/account`,
  }),
  recovery_code_used: (f) => ({
    subject: 'A recovery code was used on your Smriti account',
    opening:
      `One of your two-step recovery codes was just used in place of an authenticator code. ${f.codesLeft === undefined ? '' : f.codesLeft === 0 ? 'None are left.' : `${f.codesLeft} ${f.codesLeft === 1 ? 'is' : 'are'} left.`}`.trim(),
    facts: where(f),
    advice: 'If this was not you, change your password and make new recovery codes on your account page:',
    link: `${f.origin}/account`,
  }),
  passkey_added: (f) => ({
    subject: 'A passkey was added to your Smriti account',
    opening: 'A new passkey can now sign in to your Smriti account.',
    facts: [...(f.passkeyName ? ([['Passkey', f.passkeyName]] as Array<[string, string]>) : []), ...where(f)],
    advice: 'If this was not you, remove that passkey and change your password on your account page:',
    link: `${f.origin}/account`,
  }),
  identity_linked: (f) => ({
    subject: `A ${f.provider ?? 'single sign-on'} account was linked to your Smriti account`,
    opening: `An account at ${f.provider ?? 'your single sign-on provider'} can now sign in to your Smriti account.`,
    facts: [...(f.providerEmail ? ([['Account', f.providerEmail]] as Array<[string, string]>) : []), ...where(f)],
    advice: 'If this was not you, unlink it and change your password on your account page:',
    link: `${f.origin}/account`,
  }),
  ways_in_removed: (f) => ({
    subject: 'We removed ways to sign in to your Smriti account',
    opening:
      "Someone proved that this address is yours (with a link sent here). The ways to sign in that were added before the address was proved could have been anyone's, so Smriti removed them and signed out every session they could have started.",
    facts: [...(f.removed ?? []).map((item): [string, string] => ['Removed', item]), ...where(f)],
    advice:
      'If you added them yourself, add them again from your account page. To sign in now, use your password, or choose one with a link sent to this address:',
    link: `${f.origin}/password/forgot`,
  }),
};

export function composeSecurityEmail(kind: SecurityEmailKind, facts: EmailFacts): ComposedEmail {
  return render(DRAFTS[kind](facts));
}
