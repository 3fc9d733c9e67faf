// Recovery codes: ten random one-time codes for when the phone is lost, shown once, stored hashed.
import { createHash, randomInt } from 'node:crypto';
import type { Queryable } from '../db/db.js';

export const RECOVERY_CODE_COUNT = 10;
// No 0/O, 1/I/L: the codes are read off paper and typed by hand.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 2;
const GROUP_LENGTH = 5;

/** `abcde-fghjk`: 10 characters of a 31-letter alphabet, about 50 bits. */
function newCode(): string {
  const group = () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return Array.from({ length: GROUPS }, group).join('-');
}

/** What a person may type for a code: any case, spaces or dashes anywhere. */
export function normaliseRecoveryCode(input: string): string | undefined {
  const letters = input.toLowerCase().replace(/[\s-]/g, '');
  if (letters.length !== GROUPS * GROUP_LENGTH || [...letters].some((c) => !ALPHABET.includes(c))) return undefined;
  return `${letters.slice(0, GROUP_LENGTH)}-${letters.slice(GROUP_LENGTH)}`;
}

function hashCode(code: string): string {
  return createHash('sha256').update(`smriti recovery code\0${code}`).digest('hex');
}

/** Replaces the user's codes with ten new ones, and answers them: the only time they exist in clear. */
export async function replaceRecoveryCodes(db: Queryable, userId: string, at: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  await db.query('INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1, unnest($2::text[]), $3', [
    userId,
    codes.map(hashCode),
    at,
  ]);
  return codes;
}

/** Spends one code: undefined when it is not one of the user's unused codes, else how many remain. */
export async function useRecoveryCode(db: Queryable, userId: string, input: string, at: Date): Promise<number | undefined> {
  const code = normaliseRecoveryCode(input);
  if (!code) return undefined;
  const spent = await db.query('UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL', [
    userId,
    hashCode(code),
    at,
  ]);
  if (spent.rowCount !== 1) return undefined;
  return countRecoveryCodes(db, userId);
}

export async function countRecoveryCodes(db: Queryable, userId: string): Promise<number> {
  const result = await db.query<{ left: number }>(
    'SELECT count(*)::int AS left FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
    [userId],
  );
  return result.rows[0]!.left;
}

export async function removeRecoveryCodes(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
}
