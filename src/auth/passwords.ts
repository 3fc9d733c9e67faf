// Password rules and bcrypt hashing (async: bcrypt runs on libuv's pool, never the event loop).
import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';

export const PASSWORD_MIN_BYTES = 8;
// bcrypt ignores everything after 72 bytes; refusing longer input beats silently truncating it.
export const PASSWORD_MAX_BYTES = 72;

/** A sentence for people when the password breaks a rule, undefined when it is fine. */
export function passwordProblem(password: string): string | undefined {
  // bcrypt stops at a NUL byte, so "a\0b" would match "a": never accept one.
  if (password.includes('\u0000')) return 'A password cannot contain the NUL character (\\0).';
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES) return `Use at least ${PASSWORD_MIN_BYTES} characters.`;
  if (bytes > PASSWORD_MAX_BYTES) return `Use at most ${PASSWORD_MAX_BYTES} bytes (fewer characters if you use accents or emoji).`;
  return undefined;
}

/** At most `limit` tasks at once, the rest waiting in arrival order. */
type Gate = <T>(task: () => Promise<T>) => Promise<T>;

function createGate(limit: number): Gate {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

export interface PasswordHasher {
  readonly rounds: number;
  /** bcrypt burns a whole core per hash; leaving one core free keeps pages fast during a sign-in storm. */
  readonly gate: Gate;
  dummyHash?: Promise<string>;
}

export function createPasswordHasher(rounds: number, parallel = Math.max(1, availableParallelism() - 1)): PasswordHasher {
  return { rounds, gate: createGate(parallel) };
}

export function hashPassword(hasher: PasswordHasher, password: string): Promise<string> {
  return hasher.gate(() => bcrypt.hash(password, hasher.rounds));
}

/** Spends the same time as a real check, so an unknown email cannot be told from a wrong password. */
export async function verifyAgainstNothing(hasher: PasswordHasher, password: string): Promise<false> {
  hasher.dummyHash ??= hashPassword(hasher, 'smriti timing equaliser');
  const dummy = await hasher.dummyHash;
  await hasher.gate(() => bcrypt.compare(password, dummy));
  return false;
}

/** `hashed` is null for an account without a password (passkey only): nothing matches, in the usual time. */
export async function verifyPassword(hasher: PasswordHasher, password: string, hashed: string | null): Promise<boolean> {
  if (hashed === null) return verifyAgainstNothing(hasher, password);
  // bcrypt would compare only the first 72 bytes, or up to a NUL: such input can never be
  // the registered password, and must not match one that shares its prefix.
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES || password.includes('\u0000')) {
    return verifyAgainstNothing(hasher, password);
  }
  return hasher.gate(() => bcrypt.compare(password, hashed));
}
