// The entries table: a user's journal entries, always scoped by user id.
import type { Queryable } from '../db/db.js';
import type { FieldErrors } from '../http/errors.js';
import { isUuid } from '../uuid.js';
import { syncEntryPhotos } from './photos.js';
import { checkTags, entryTags } from './tags.js';

export const TITLE_MAX_CHARS = 200;
export const BODY_MAX_CHARS = 200_000;
export const PAGE_SIZE = 20;

export interface Entry {
  id: string;
  title: string;
  body: string;
  /** 1 when written, one more on every change: what a conditional save names. */
  version: number;
  /** The writer's own day for the entry, YYYY-MM-DD (no time, no zone). */
  entryDate: string;
  /** Lowercase words: the typed tags and the text's #words. */
  tags: string[];
  /** Starred by the writer, to find again at /journal?starred=1. */
  starred: boolean;
  /** When it went to the trash; null for a live entry. */
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** A sealed journal's entry: base64 of iv || AES-GCM ciphertext (DESIGN §16), its plaintext columns empty; null when plaintext. */
  sealed: string | null;
}

export interface EntryInput {
  title: string;
  body: string;
  /** Undefined: today on a new entry, the day it had on a change. */
  entryDate: string | undefined;
  /** Every tag, typed and #word; undefined when none were sent (a change keeps the typed ones). */
  tags: string[] | undefined;
  /** Undefined: not starred on a new entry, unchanged on a change. */
  starred?: boolean;
}

// PostgreSQL text cannot hold U+0000; refuse it plainly rather than fail at the database.
/** Ids in URLs may come in upper case (PostgreSQL reads either); anything else is no entry. */
const isEntryId = (id: unknown) => typeof id === 'string' && isUuid(id.toLowerCase());

const NUL_MESSAGE = 'The text holds a NUL character (\\0), which cannot be saved; remove it.';

const COLUMNS = `id, title, body, version, entry_date::text AS "entryDate", tags, starred, deleted_at AS "deletedAt",
  created_at AS "createdAt", updated_at AS "updatedAt", sealed`;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day written YYYY-MM-DD, years 1 to 9999. */
export function isDay(value: string): boolean {
  const match = DAY.exec(value);
  if (!match || match[1] === '0000') return false;
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}

export type EntryCheck = { kind: 'valid'; entry: EntryInput } | { kind: 'invalid'; errors: FieldErrors };

/** Field-level checks shared by the form, the JSON API and import: the entry, or a message per field. */
export function checkEntry(
  input: { title: unknown; body: unknown; entryDate?: unknown; tags?: unknown; starred?: unknown },
  /** Unsealing writes back whatever the browser had sealed, an empty entry too. */
  { allowEmpty = false } = {},
): EntryCheck {
  const errors: FieldErrors = {};
  if (input.starred !== undefined && input.starred !== null && typeof input.starred !== 'boolean')
    errors.starred = 'Starred is true or false.';
  const entryDate = input.entryDate === '' || input.entryDate === null ? undefined : input.entryDate;
  if (entryDate !== undefined && (typeof entryDate !== 'string' || !isDay(entryDate)))
    errors.entry_date = 'The date must be a day from 0001-01-01 to 9999-12-31, written as YYYY-MM-DD (such as 2025-03-05).';
  const tags = checkTags(input.tags);
  if (tags.kind === 'invalid') errors.tags = tags.message;
  if (typeof input.title !== 'string') errors.title = 'The title must be text.';
  else if (input.title.length > TITLE_MAX_CHARS) errors.title = `Keep the title under ${TITLE_MAX_CHARS} characters.`;
  else if (input.title.includes('\u0000')) errors.title = NUL_MESSAGE;
  if (typeof input.body !== 'string') errors.body = 'The entry text must be text.';
  else if (input.body.length > BODY_MAX_CHARS)
    errors.body = `An entry can hold up to ${BODY_MAX_CHARS.toLocaleString('en')} characters; split it in two.`;
  else if (input.body.includes('\u0000')) errors.body = NUL_MESSAGE;
  if (!allowEmpty && Object.keys(errors).length === 0 && (input.title as string).trim() === '' && (input.body as string).trim() === '') {
    errors.body = 'Write a title or some text first.';
  }
  if (Object.keys(errors).length > 0 || tags.kind === 'invalid') return { kind: 'invalid', errors };
  const title = (input.title as string).trim();
  const body = input.body as string;
  const sentTags = input.tags !== undefined && input.tags !== null;
  return {
    kind: 'valid',
    entry: {
      title,
      body,
      entryDate: entryDate as string | undefined,
      tags: sentTags ? entryTags(tags.tags, title, body) : undefined,
      ...(typeof input.starred === 'boolean' ? { starred: input.starred } : {}),
    },
  };
}

/** Which of the user's live entries a list shows: all, or those of one month (YYYY-MM), one day, one tag, starred. */
export interface ListFilter {
  month?: string;
  day?: string;
  tag?: string;
  starred?: boolean;
}

/** The WHERE clause of a list, its parameters after $1 (the user) numbered from $2. */
function listWhere(filter: ListFilter): { where: string; params: unknown[] } {
  const clauses = ['user_id = $1', 'deleted_at IS NULL'];
  const params: unknown[] = [];
  if (filter.month) {
    params.push(`${filter.month}-01`);
    clauses.push(`entry_date >= $${params.length + 1}::date AND entry_date < ($${params.length + 1}::date + interval '1 month')::date`);
  }
  if (filter.day) {
    params.push(filter.day);
    clauses.push(`entry_date = $${params.length + 1}::date`);
  }
  if (filter.tag) {
    params.push([filter.tag]);
    clauses.push(`tags @> $${params.length + 1}::text[]`);
  }
  if (filter.starred) clauses.push('starred');
  return { where: clauses.join(' AND '), params };
}

// Prepared per filter shape (the same name always carries the same SQL): planned once per connection.
const shapeOf = (filter: ListFilter) =>
  `${filter.month ? '_month' : ''}${filter.day ? '_day' : ''}${filter.tag ? '_tag' : ''}${filter.starred ? '_starred' : ''}`;

/** One page of the user's live entries, by their day, newest first. */
export async function pageOfEntries(
  db: Queryable,
  userId: string,
  page: number,
  filter: ListFilter = {},
  pageSize = PAGE_SIZE,
): Promise<Entry[]> {
  const { where, params } = listWhere(filter);
  const n = params.length;
  const result = await db.query<Entry>(
    `SELECT ${COLUMNS} FROM entries WHERE ${where} ORDER BY entry_date DESC, created_at DESC, id DESC LIMIT $${n + 2} OFFSET $${n + 3}`,
    [userId, ...params, pageSize, (page - 1) * pageSize],
    `entries_page${shapeOf(filter)}`,
  );
  return result.rows;
}

/** How many of the user's live entries the filter shows. */
export async function countEntries(db: Queryable, userId: string, filter: ListFilter = {}): Promise<number> {
  const { where, params } = listWhere(filter);
  const result = await db.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM entries WHERE ${where}`,
    [userId, ...params],
    `entries_count${shapeOf(filter)}`,
  );
  return result.rows[0]!.total;
}

/** A page of entries and how many the filter shows in all. */
export async function listEntries(
  db: Queryable,
  userId: string,
  page: number,
  filter: ListFilter = {},
  pageSize = PAGE_SIZE,
): Promise<{ entries: Entry[]; total: number }> {
  const [entries, total] = await Promise.all([pageOfEntries(db, userId, page, filter, pageSize), countEntries(db, userId, filter)]);
  return { entries, total };
}

/** A live entry of the user; one in the trash is not found. */
export async function findEntry(db: Queryable, userId: string, id: string): Promise<Entry | undefined> {
  if (!isEntryId(id)) return undefined;
  const result = await db.query<Entry>(`SELECT ${COLUMNS} FROM entries WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL`, [
    id,
    userId,
  ]);
  return result.rows[0];
}

/** `today` is the writer's day now, for an entry sent without one. */
export async function createEntry(db: Queryable, userId: string, input: EntryInput, at: Date, today: string): Promise<Entry> {
  const result = await db.query<Entry>(
    `INSERT INTO entries (user_id, title, body, entry_date, tags, created_at, updated_at, starred)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING ${COLUMNS}`,
    [
      userId,
      input.title,
      input.body,
      input.entryDate ?? today,
      input.tags ?? entryTags([], input.title, input.body),
      at,
      input.starred ?? false,
    ],
  );
  await syncEntryPhotos(db, userId, result.rows[0]!.id, input.body, at);
  return result.rows[0]!;
}

export type UpdateResult = { kind: 'saved'; entry: Entry } | { kind: 'conflict'; current: Entry } | { kind: 'not_found' };

// Sent without tags (an older script), a change keeps the entry's tags and adds the new text's #words.
const KEPT_TAGS = `array(SELECT t FROM unnest(tags || $8::text[]) WITH ORDINALITY AS u(t, n) GROUP BY t ORDER BY min(n))`;

/**
 * Saves over the live entry, only if it is still at `expectedVersion` when one is given. The check
 * and the write are one statement, so of two saves racing from the same version exactly one wins.
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
    `UPDATE entries SET title = $3, body = $4, updated_at = $5, version = version + 1, sealed = NULL,
            entry_date = coalesce($7::date, entry_date), tags = coalesce($9::text[], ${KEPT_TAGS}),
            starred = coalesce($10::boolean, starred)
     WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL AND ($6::integer IS NULL OR version = $6) RETURNING ${COLUMNS}`,
    [
      id,
      userId,
      input.title,
      input.body,
      at,
      expectedVersion ?? null,
      input.entryDate ?? null,
      entryTags([], input.title, input.body),
      input.tags ?? null,
      input.starred ?? null,
    ],
  );
  if (result.rows[0]) {
    await syncEntryPhotos(db, userId, id, input.body, at);
    return { kind: 'saved', entry: result.rows[0] };
  }
  const current = expectedVersion === undefined ? undefined : await findEntry(db, userId, id);
  return current ? { kind: 'conflict', current } : { kind: 'not_found' };
}

/** A sealed entry answers its ciphertext and none of the (empty) plaintext fields. */
export function toJson(entry: Entry) {
  if (entry.sealed !== null) return sealedJson(entry);
  return {
    id: entry.id,
    title: entry.title,
    body: entry.body,
    version: entry.version,
    entryDate: entry.entryDate,
    tags: entry.tags,
    starred: entry.starred,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}

function sealedJson(entry: Entry) {
  return {
    id: entry.id,
    version: entry.version,
    entryDate: entry.entryDate,
    sealed: entry.sealed,
    trashed: entry.deletedAt !== null,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}

/** The columns that make an Entry, for queries kept in other modules (search.ts, trash.ts). */
export { COLUMNS as ENTRY_COLUMNS, isEntryId };
