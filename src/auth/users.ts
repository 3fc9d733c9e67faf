// The users table.
import { z } from 'zod';
import type { Queryable } from '../db/db.js';

export interface User {
  id: string;
  email: string;
  /** Null for an account made through a provider or with a passkey alone, until its owner sets a password. */
  passwordHash: string | null;
  createdAt: Date;
  passwordChangedAt: Date;
  /** When the owner last proved the address is theirs (a link opened); null while unverified. */
  emailVerifiedAt: Date | null;
  /** The IANA zone the owner's browser last reported (time-zone.ts checks it before use). */
  timeZone: string;
  /** 'open', 'sealed' or 'unsealing' (DESIGN §16): what the pages tell the browser's scripts. */
  journalState: string;
}

const COLUMNS = `id, email, password_hash AS "passwordHash", created_at AS "createdAt", password_changed_at AS "passwordChangedAt",
  email_verified_at AS "emailVerifiedAt", time_zone AS "timeZone", journal_state AS "journalState"`;

/** How long a new, unverified account may still receive password-reset links (DESIGN §13). */
export const UNVERIFIED_RESET_WINDOW_SECONDS = 24 * 3600;

/**
 * A reset link gives the journal to whoever reads the mailbox: it goes only to an address proved by
 * a link, or to one that signed up moments ago (its owner may not have opened the mail yet).
 */
export function mayReceiveResetLink(user: User, nowMs: number): boolean {
  return user.emailVerifiedAt !== null || nowMs - user.createdAt.getTime() < UNVERIFIED_RESET_WINDOW_SECONDS * 1000;
}

export class DuplicateEmailError extends Error {
  override name = 'DuplicateEmailError';
}

const emailSchema = z.email().max(254);

/** A sentence for people when the address cannot be an email address, undefined when it can. */
export function emailProblem(email: string): string | undefined {
  if (email.trim() === '') return 'Enter your email address.';
  return emailSchema.safeParse(email.trim()).success ? undefined : 'Enter a valid email address, like name@example.com.';
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: Queryable, email: string): Promise<User | undefined> {
  const result = await db.query<User>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`, [normaliseEmail(email)]);
  return result.rows[0];
}

export async function findUserById(db: Queryable, id: string): Promise<User | undefined> {
  const result = await db.query<User>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return result.rows[0];
}

/**
 * `verified`: the address was proved elsewhere (an OpenID Connect provider said so). `id` is given
 * when the account's id was promised earlier (a passkey's user handle); generated otherwise.
 */
export async function createUser(
  db: Queryable,
  email: string,
  passwordHash: string | null,
  at: Date,
  verified = false,
  id?: string,
): Promise<User> {
  try {
    const result = await db.query<User>(
      `INSERT INTO users (id, email, password_hash, created_at, password_changed_at, email_verified_at)
       VALUES (COALESCE($5::uuid, gen_random_uuid()), $1, $2, $3, $3, $4) RETURNING ${COLUMNS}`,
      [normaliseEmail(email), passwordHash, at, verified ? at : null, id ?? null],
    );
    return result.rows[0]!;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new DuplicateEmailError('email already registered');
    throw error;
  }
}

export async function updatePasswordHash(db: Queryable, userId: string, passwordHash: string, at: Date): Promise<void> {
  await db.query(`UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, [userId, passwordHash, at]);
}

/** Swaps the hash for one of the same password at another cost, unless the password changed meanwhile. */
export async function replacePasswordHash(db: Queryable, userId: string, oldHash: string, newHash: string): Promise<boolean> {
  const result = await db.query(`UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [userId, oldHash, newHash]);
  return result.rowCount === 1;
}
