// Password rules and bcrypt hashing (async: bcrypt runs on libuv's pool, never the event loop).
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

export function createPasswordHasher(rounds: number) {
  let dummyHash: Promise<string> | undefined;

  /** Spends the same time as a real check, so an unknown email cannot be told from a wrong password. */
  async function verifyAgainstNothing(password: string): Promise<false> {
    dummyHash ??= bcrypt.hash('smriti timing equaliser', rounds);
    await bcrypt.compare(password, await dummyHash);
    return false;
  }

  async function verify(password: string, hash: string): Promise<boolean> {
    // bcrypt would compare only the first 72 bytes, or up to a NUL: such input can never be
    // the registered password, and must not match one that shares its prefix.
    if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES || password.includes('\u0000')) {
      return verifyAgainstNothing(password);
    }
    return bcrypt.compare(password, hash);
  }

  return { hash: (password: string) => bcrypt.hash(password, rounds), verify, verifyAgainstNothing };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
