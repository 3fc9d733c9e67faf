// Guessable passwords: the common-password list and zxcvbn-ts's estimate, both built once per process,
// at first use or when the server warms up after it listens: loading the dictionaries at import was a
// fifth of the start (0.3 s of CPU), before anyone could be served.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * zxcvbn's score 3 means about 10^8 guesses: out of reach of online guessing, and slow against a
 * stolen bcrypt hash. Scores 0–2 (under 10^8) are refused.
 */
export const MIN_PASSWORD_SCORE = 3;

interface Estimator {
  common: ReadonlySet<string>;
  zxcvbn: ZxcvbnFactory;
}
let loading: Promise<Estimator> | undefined;

/** The dictionaries and the estimator, built once per process, never per request. */
export function loadPasswordStrength(): Promise<Estimator> {
  loading ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]).then(
    ([{ ZxcvbnFactory }, common, english]) => ({
      common: new Set(common.dictionary['passwords-common']),
      zxcvbn: new ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...english.dictionary },
        graphs: common.adjacencyGraphs,
        translations: english.translations,
      }),
    }),
  );
  return loading;
}

export async function commonPasswordCount(): Promise<number> {
  return (await loadPasswordStrength()).common.size;
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
export async function guessablePasswordProblem(password: string, email?: string): Promise<string | undefined> {
  if (isOwnEmail(password, email)) return `Your email address is the first thing someone would try as your password. ${HINT}`;
  const { common, zxcvbn } = await loadPasswordStrength();
  if (common.has(password.toLowerCase())) {
    return `This is one of the most common passwords, so it would be guessed within seconds. ${HINT}`;
  }
  const result = zxcvbn.check(password, email ? [email, email.split('@')[0] ?? ''] : []);
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  const why = result.feedback.warning ? ` ${result.feedback.warning}` : '';
  return `This password is too easy to guess.${why} ${HINT}`;
}
