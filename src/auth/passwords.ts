// Password rules and bcrypt hashing (async: bcrypt runs on libuv's pool, never the event loop).
import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import { createPasswordQueue, DEFAULT_QUEUE_LIMITS, type PasswordQueue, type PasswordQueueLimits } from './password-queue.js';
import { guessablePasswordProblem } from './password-strength.js';

export const PASSWORD_MIN_BYTES = 8;
// bcrypt ignores everything after 72 bytes; refusing longer input beats silently truncating it.
export const PASSWORD_MAX_BYTES = 72;

/**
 * A sentence for people when the password breaks a rule or is easy to guess, undefined when it is
 * fine. `email` is the account's address where known: it must not be the password.
 */
export async function passwordProblem(password: string, email?: string): Promise<string | undefined> {
  // bcrypt stops at a NUL byte, so "a\0b" would match "a": never accept one.
  if (password.includes('\u0000')) return 'A password cannot contain the NUL character (\\0).';
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES) return `Use at least ${PASSWORD_MIN_BYTES} characters.`;
  if (bytes > PASSWORD_MAX_BYTES) return `Use at most ${PASSWORD_MAX_BYTES} bytes (fewer characters if you use accents or emoji).`;
  return guessablePasswordProblem(password, email);
}

export interface PasswordHasher {
  /** The cost new hashes are made at (BCRYPT_ROUNDS). */
  readonly rounds: number;
  readonly queue: PasswordQueue;
  /** One dummy hash per cost, made on first use: unknown emails are checked against it. */
  readonly dummyHashes: Map<number, Promise<string>>;
}

/** bcrypt burns a whole core per hash; leaving one core free keeps pages fast during a sign-in storm. */
export function defaultParallelism(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function createPasswordHasher(
  rounds: number,
  limits: PasswordQueueLimits = DEFAULT_QUEUE_LIMITS(defaultParallelism()),
): PasswordHasher {
  return { rounds, queue: createPasswordQueue(limits), dummyHashes: new Map() };
}

/** `account` (a user id, or an email nobody has) shares one place in the queue; undefined is its own. */
export function hashPassword(hasher: PasswordHasher, password: string, account?: string): Promise<string> {
  return hasher.queue(account, () => bcrypt.hash(password, hasher.rounds));
}

/** The cost a bcrypt hash was made at ($2b$12$… → 12), undefined when it is not a bcrypt hash. */
export function hashCost(hashed: string): number | undefined {
  const match = /^\$2[aby]\$(\d{2})\$/.exec(hashed);
  return match ? Number(match[1]) : undefined;
}

/**
 * Spends the same time as a real check, so an unknown email cannot be told from a wrong password:
 * `cost` should be the cost of the hashes stored (storedHashCost), not necessarily BCRYPT_ROUNDS.
 */
export async function verifyAgainstNothing(
  hasher: PasswordHasher,
  password: string,
  account?: string,
  cost = hasher.rounds,
): Promise<false> {
  let dummy = hasher.dummyHashes.get(cost);
  if (!dummy) {
    dummy = hasher.queue(undefined, () => bcrypt.hash('smriti timing equaliser', cost));
    hasher.dummyHashes.set(cost, dummy);
    dummy.catch(() => hasher.dummyHashes.delete(cost));
  }
  const hashed = await dummy;
  await hasher.queue(account, () => bcrypt.compare(password, hashed));
  return false;
}

/** `hashed` null: the account has no password (made through a provider or with a passkey alone); every password is wrong, in the usual time. */
export async function verifyPassword(hasher: PasswordHasher, password: string, hashed: string | null, account?: string): Promise<boolean> {
  // bcrypt would compare only the first 72 bytes, or up to a NUL: such input can never be
  // the registered password, and must not match one that shares its prefix.
  if (hashed === null || Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES || password.includes('\u0000')) {
    return verifyAgainstNothing(hasher, password, account, hashed === null ? undefined : hashCost(hashed));
  }
  return hasher.queue(account, () => bcrypt.compare(password, hashed));
}
