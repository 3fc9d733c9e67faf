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
function createGate(limit: number) {
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

export function createPasswordHasher(rounds: number, parallel = Math.max(1, availableParallelism() - 1)) {
  let dummyHash: Promise<string> | undefined;
  // bcrypt burns a whole core per hash; leaving one core free keeps pages fast during a sign-in storm.
  const gate = createGate(parallel);
  const hash = (password: string) => gate(() => bcrypt.hash(password, rounds));
  const compare = (password: string, hashed: string) => gate(() => bcrypt.compare(password, hashed));

  /** Spends the same time as a real check, so an unknown email cannot be told from a wrong password. */
  async function verifyAgainstNothing(password: string): Promise<false> {
    dummyHash ??= hash('smriti timing equaliser');
    await compare(password, await dummyHash);
    return false;
  }

  async function verify(password: string, hashed: string): Promise<boolean> {
    // bcrypt would compare only the first 72 bytes, or up to a NUL: such input can never be
    // the registered password, and must not match one that shares its prefix.
    if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES || password.includes('\u0000')) {
      return verifyAgainstNothing(password);
    }
    return compare(password, hashed);
  }

  return { hash, verify, verifyAgainstNothing };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
