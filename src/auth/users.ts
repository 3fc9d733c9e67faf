// The users table.
import { z } from 'zod';
import type { Queryable } from '../db/db.js';

export interface User {
  id: string;
  email: string;
  /** Null for an account made with a passkey alone, until its owner sets a password (DESIGN §12). */
  passwordHash: string | null;
  createdAt: Date;
  passwordChangedAt: Date;
}

const COLUMNS = `id, email, password_hash AS "passwordHash", created_at AS "createdAt", password_changed_at AS "passwordChangedAt"`;

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

/** `id` is given when the account's id was promised earlier (a passkey's user handle); generated otherwise. */
export async function createUser(db: Queryable, email: string, passwordHash: string | null, at: Date, id?: string): Promise<User> {
  try {
    const result = await db.query<User>(
      `INSERT INTO users (id, email, password_hash, created_at, password_changed_at)
       VALUES (COALESCE($4::uuid, gen_random_uuid()), $1, $2, $3, $3) RETURNING ${COLUMNS}`,
      [normaliseEmail(email), passwordHash, at, id ?? null],
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
