// Guessable passwords: the common-password list and zxcvbn-ts's estimate, both built once per process.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

/**
 * zxcvbn's score 3 means about 10^8 guesses: out of reach of online guessing, and slow against a
 * stolen bcrypt hash. Scores 0–2 (under 10^8) are refused.
 */
export const MIN_PASSWORD_SCORE = 3;

// Built at import, so at start (about 0.1 s), never per request.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(common.dictionary['passwords-common']);
const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

export function commonPasswordCount(): number {
  return COMMON_PASSWORDS.size;
}

const HINT = 'Try three or four words that do not belong together, or a short sentence only you would write.';

function isOwnEmail(password: string, email: string | undefined): boolean {
  if (!email) return false;
  const candidate = password.trim().toLowerCase();
  const address = email.trim().toLowerCase();
  const localPart = address.split('@')[0] ?? '';
  return candidate === address || (localPart.length > 0 && candidate === localPart);
}

/** Why a password would be guessed early, with a hint, or undefined when it is strong enough. */
export function guessablePasswordProblem(password: string, email?: string): string | undefined {
  if (isOwnEmail(password, email)) return `Your email address is the first thing someone would try as your password. ${HINT}`;
  if (COMMON_PASSWORDS.has(password.toLowerCase())) {
    return `This is one of the most common passwords, so it would be guessed within seconds. ${HINT}`;
  }
  const result = estimator.check(password, email ? [email, email.split('@')[0] ?? ''] : []);
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  const why = result.feedback.warning ? ` ${result.feedback.warning}` : '';
  return `This password is too easy to guess.${why} ${HINT}`;
}
