// The entries table: a user's journal entries, always scoped by user id.
import type { Queryable } from '../db/db.js';
import type { FieldErrors } from '../http/errors.js';
import { isUuid } from '../uuid.js';

export const TITLE_MAX_CHARS = 200;
export const BODY_MAX_CHARS = 200_000;
export const PAGE_SIZE = 20;

export interface Entry {
  id: string;
  title: string;
  body: string;
  /** 1 when written, one more on every change: what a conditional save names. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface EntryInput {
  title: string;
  body: string;
}

// PostgreSQL text cannot hold U+0000; refuse it plainly rather than fail at the database.
/** Ids in URLs may come in upper case (PostgreSQL reads either); anything else is no entry. */
const isEntryId = (id: unknown) => typeof id === 'string' && isUuid(id.toLowerCase());

const NUL_MESSAGE = 'The text holds a NUL character (\\0), which cannot be saved; remove it.';

const COLUMNS = `id, title, body, version, created_at AS "createdAt", updated_at AS "updatedAt"`;

export type EntryCheck = { kind: 'valid'; entry: EntryInput } | { kind: 'invalid'; errors: FieldErrors };

/** Field-level checks shared by the form, the JSON API and import: the entry, or a message per field. */
export function checkEntry(input: { title: unknown; body: unknown }): EntryCheck {
  const errors: FieldErrors = {};
  if (typeof input.title !== 'string') errors.title = 'The title must be text.';
  else if (input.title.length > TITLE_MAX_CHARS) errors.title = `Keep the title under ${TITLE_MAX_CHARS} characters.`;
  else if (input.title.includes('\u0000')) errors.title = NUL_MESSAGE;
  if (typeof input.body !== 'string') errors.body = 'The entry text must be text.';
  else if (input.body.length > BODY_MAX_CHARS)
    errors.body = `An entry can hold up to ${BODY_MAX_CHARS.toLocaleString('en')} characters; split it in two.`;
  else if (input.body.includes('\u0000')) errors.body = NUL_MESSAGE;
  if (Object.keys(errors).length === 0 && (input.title as string).trim() === '' && (input.body as string).trim() === '') {
    errors.body = 'Write a title or some text first.';
  }
  if (Object.keys(errors).length > 0) return { kind: 'invalid', errors };
  return { kind: 'valid', entry: { title: (input.title as string).trim(), body: input.body as string } };
}

export async function listEntries(db: Queryable, userId: string, page: number): Promise<{ entries: Entry[]; total: number }> {
  const [rows, count] = await Promise.all([
    db.query<Entry>(`SELECT ${COLUMNS} FROM entries WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, [
      userId,
      PAGE_SIZE,
      (page - 1) * PAGE_SIZE,
    ]),
    db.query<{ total: number }>(`SELECT count(*)::int AS total FROM entries WHERE user_id = $1`, [userId]),
  ]);
  return { entries: rows.rows, total: count.rows[0]!.total };
}

export async function findEntry(db: Queryable, userId: string, id: string): Promise<Entry | undefined> {
  if (!isEntryId(id)) return undefined;
  const result = await db.query<Entry>(`SELECT ${COLUMNS} FROM entries WHERE id = $1 AND user_id = $2`, [id, userId]);
  return result.rows[0];
}

export async function createEntry(db: Queryable, userId: string, input: EntryInput, at: Date): Promise<Entry> {
  const result = await db.query<Entry>(
    `INSERT INTO entries (user_id, title, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING ${COLUMNS}`,
    [userId, input.title, input.body, at],
  );
  return result.rows[0]!;
}

export type UpdateResult = { kind: 'saved'; entry: Entry } | { kind: 'conflict'; current: Entry } | { kind: 'not_found' };

/**
 * Saves over the entry, only if it is still at `expectedVersion` when one is given. The check and
 * the write are one statement, so of two saves racing from the same version exactly one wins.
 */
export async function updateEntry(
  db: Queryable,
  userId: string,
  id: string,
  input: EntryInput,
  at: Date,
  expectedVersion?: number,
): Promise<UpdateResult> {
  if (!isEntryId(id)) return { kind: 'not_found' };
  const result = await db.query<Entry>(
    `UPDATE entries SET title = $3, body = $4, updated_at = $5, version = version + 1
     WHERE id = $1 AND user_id = $2 AND ($6::integer IS NULL OR version = $6) RETURNING ${COLUMNS}`,
    [id, userId, input.title, input.body, at, expectedVersion ?? null],
  );
  if (result.rows[0]) return { kind: 'saved', entry: result.rows[0] };
  const current = expectedVersion === undefined ? undefined : await findEntry(db, userId, id);
  return current ? { kind: 'conflict', current } : { kind: 'not_found' };
}

export async function deleteEntry(db: Queryable, userId: string, id: string): Promise<boolean> {
  if (!isEntryId(id)) return false;
  const result = await db.query(`DELETE FROM entries WHERE id = $1 AND user_id = $2`, [id, userId]);
  return result.rowCount > 0;
}

export function toJson(entry: Entry) {
  return {
    id: entry.id,
    title: entry.title,
    body: entry.body,
    version: entry.version,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}

/** The columns that make an Entry, for queries kept in other modules (search.ts). */
export { COLUMNS as ENTRY_COLUMNS };
