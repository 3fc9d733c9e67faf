// Sealed entries (DESIGN §16): the journal's state, and the writes that carry ciphertext only.
// The journal knows the state and the sealed column; keys and sealing itself live in sealing/.
import type { RequestHandler, Response } from 'express';
import { cachedUser } from '../auth/user-cache.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { ENTRY_COLUMNS, type Entry, isDay, isEntryId } from './entries.js';

export type JournalState = 'open' | 'sealed' | 'unsealing';

export const JOURNAL_SEALED =
  'Your journal is sealed: entries are written from the browser, encrypted, with JavaScript on. Nothing was saved.';
export const JOURNAL_OPEN = 'Your journal is not sealed, so a sealed entry cannot be saved into it. Nothing was saved.';

// The base64 of a 12-byte IV and at least a 16-byte tag; the request body limit bounds the rest.
const MIN_SEALED_CHARS = 40;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function isSealedText(value: unknown): value is string {
  return typeof value === 'string' && value.length >= MIN_SEALED_CHARS && value.length % 4 === 0 && BASE64.test(value);
}

export async function journalState(db: Queryable, userId: string): Promise<JournalState> {
  const result = await db.query<{ state: JournalState }>('SELECT journal_state AS state FROM users WHERE id = $1', [userId]);
  return result.rows[0]?.state ?? 'open';
}

/**
 * After requirePageAuth: the state on res.locals, for the layout's meta tag and the pages' scripts,
 * from the process's copy of the user row (a change to it is heard within a second everywhere). Every
 * write that depends on the state reads it fresh (journalState).
 */
export function loadJournalState(ctx: AppContext): RequestHandler {
  return async function journalStateForPage(_req, res, next) {
    const userId = res.locals.auth?.userId as string | undefined;
    const user = userId ? await cachedUser(ctx.userCache, ctx.db, userId) : undefined;
    res.locals.journalState = (user?.journalState ?? 'open') as JournalState;
    if (res.locals.journalState !== 'open') allowBlobImages(res);
    next();
  };
}

/**
 * A sealed journal's photos are opened in the browser and shown from blob: URLs, so its pages (and
 * only its pages) let images come from blob: too. Scripts stay 'self'.
 */
function allowBlobImages(res: Response): void {
  const policy = res.getHeader('Content-Security-Policy');
  if (typeof policy === 'string' && !/img-src[^;]*blob:/.test(policy)) {
    res.setHeader('Content-Security-Policy', policy.replace(/img-src ([^;]*)/, 'img-src $1 blob:'));
  }
}

/**
 * Form posts that would write plaintext into a sealed journal: a 409 page with a sentence. The state
 * is read fresh (and left on res.locals for what follows): a write must not trust a copy.
 */
export function refuseFormsWhenSealed(ctx: AppContext): RequestHandler {
  return async function refuseSealedForm(_req, res, next) {
    const userId = res.locals.auth?.userId as string | undefined;
    if (userId) res.locals.journalState = await journalState(ctx.db, userId);
    if (res.locals.journalState === 'sealed') return next(new AppError(409, 'journal_sealed', JOURNAL_SEALED));
    next();
  };
}

export interface SealedWrite {
  id: string;
  sealed: string;
  /** The photos the sealed text shows, when the browser names them; undefined leaves the links as they are. */
  photos?: string[];
  /** Undefined: any version (an unconditional write). */
  version?: number;
  entryDate?: string;
}

/**
 * Writes ciphertext over an entry: the plaintext columns emptied (and with them its search columns),
 * one more version, and its plaintext history deleted in the same statement. `onlyPlaintext` is the
 * sealing batch's rule: an entry is sealed once, so of two batches racing on it exactly one wins.
 */
export async function writeSealed(
  db: Queryable,
  userId: string,
  write: SealedWrite,
  at: Date,
  onlyPlaintext = false,
): Promise<Entry | undefined> {
  if (!isEntryId(write.id)) return undefined;
  const result = await db.query<Entry>(
    `WITH written AS (
       UPDATE entries SET sealed = $3, title = '', body = '', tags = '{}', starred = false, version = version + 1,
              updated_at = $4, entry_date = coalesce($6::date, entry_date)
       WHERE id = $1 AND user_id = $2 AND ($5::integer IS NULL OR version = $5) AND (NOT $7 OR sealed IS NULL)
         AND ($7 OR deleted_at IS NULL)
       RETURNING ${ENTRY_COLUMNS}),
     forgotten AS (
       DELETE FROM entry_versions WHERE user_id = $2 AND entry_id IN (SELECT id FROM written) AND sealed IS NULL)
     SELECT * FROM written`,
    [write.id, userId, write.sealed, at, write.version ?? null, write.entryDate ?? null, onlyPlaintext],
  );
  return result.rows[0];
}

/** A new sealed entry; the browser names its id, which the ciphertext's additional data holds. */
export async function createSealed(db: Queryable, userId: string, write: SealedWrite, at: Date, today: string): Promise<Entry | undefined> {
  if (!isEntryId(write.id)) return undefined;
  const result = await db.query<Entry>(
    `INSERT INTO entries (id, user_id, title, body, entry_date, tags, created_at, updated_at, starred, sealed)
     VALUES ($1, $2, '', '', $3, '{}', $4, $4, false, $5) ON CONFLICT (id) DO NOTHING RETURNING ${ENTRY_COLUMNS}`,
    [write.id, userId, write.entryDate ?? today, at, write.sealed],
  );
  return result.rows[0];
}

export interface PlainWrite {
  id: string;
  version: number;
  title: string;
  body: string;
  tags: string[];
  starred: boolean;
}

/** Unsealing: plaintext back over a still-sealed entry (re-indexed by its generated columns), sealed history gone. */
export async function writeUnsealed(db: Queryable, userId: string, write: PlainWrite, at: Date): Promise<Entry | undefined> {
  if (!isEntryId(write.id)) return undefined;
  const result = await db.query<Entry>(
    `WITH written AS (
       UPDATE entries SET sealed = NULL, title = $4, body = $5, tags = $6, starred = $7, version = version + 1, updated_at = $8
       WHERE id = $1 AND user_id = $2 AND version = $3 AND sealed IS NOT NULL
       RETURNING ${ENTRY_COLUMNS}),
     forgotten AS (
       DELETE FROM entry_versions WHERE user_id = $2 AND entry_id IN (SELECT id FROM written) AND sealed IS NOT NULL)
     SELECT * FROM written`,
    [write.id, userId, write.version, write.title, write.body, write.tags, write.starred, at],
  );
  return result.rows[0];
}

const PLAINTEXT_FIELDS = ['title', 'body', 'tags', 'starred'] as const;
const MAX_PHOTOS = 500;

function photoIdsOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_PHOTOS || !value.every((id) => typeof id === 'string' && isEntryId(id))) {
    throw new AppError(400, 'photos_invalid', `"photos" is a list of up to ${MAX_PHOTOS} photo ids that the sealed text shows.`);
  }
  return value.map((id: string) => id.toLowerCase());
}

/**
 * What a JSON write means in this state: a sealed write (the journal is sealed and the body carries
 * `sealed` and no plaintext), a plaintext one (undefined), or a 409 that refuses it.
 */
export function sealedWriteOf(body: unknown, state: JournalState, id?: string): SealedWrite | undefined {
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const carriesSealed = fields.sealed !== undefined && fields.sealed !== null;
  if (state !== 'sealed') {
    if (carriesSealed) throw new AppError(409, 'journal_open', JOURNAL_OPEN);
    return undefined;
  }
  if (!carriesSealed || PLAINTEXT_FIELDS.some((name) => fields[name] !== undefined)) {
    throw new AppError(409, 'journal_sealed', JOURNAL_SEALED);
  }
  if (!isSealedText(fields.sealed))
    throw new AppError(400, 'sealed_invalid', 'The sealed text must be the base64 of an IV and its ciphertext.');
  const { entryDate } = fields;
  if (entryDate !== undefined && entryDate !== null && (typeof entryDate !== 'string' || !isDay(entryDate))) {
    throw new AppError(400, 'entry_invalid', 'The date must be a day written as YYYY-MM-DD (such as 2025-03-05).');
  }
  const entryId = id ?? fields.id;
  if (typeof entryId !== 'string' || !isEntryId(entryId)) {
    throw new AppError(400, 'id_invalid', 'A new sealed entry names its own id (a UUID), the one its ciphertext was sealed for.');
  }
  return {
    id: entryId.toLowerCase(),
    sealed: fields.sealed,
    entryDate: (entryDate as string | undefined) ?? undefined,
    photos: photoIdsOf(fields.photos),
  };
}

export interface ImportedSealed {
  id: string;
  sealed: string;
  entryDate: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

/**
 * Puts back sealed entries from a sealed backup of this account: their ids stay (the ciphertext's
 * additional data names them), and an id already present anywhere is skipped, never overwritten.
 */
export async function insertSealedEntries(tx: Queryable, userId: string, entries: readonly ImportedSealed[]): Promise<number> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smriti:import:${userId}`]);
  const result = await tx.query(
    `INSERT INTO entries (id, user_id, title, body, tags, starred, sealed, entry_date, created_at, updated_at, deleted_at)
     SELECT i.id, $1, '', '', '{}', false, i.sealed, i.entry_date, i.created_at, i.updated_at, i.deleted_at
       FROM unnest($2::uuid[], $3::text[], $4::date[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
         AS i(id, sealed, entry_date, created_at, updated_at, deleted_at)
     ON CONFLICT (id) DO NOTHING`,
    [
      userId,
      entries.map((e) => e.id),
      entries.map((e) => e.sealed),
      entries.map((e) => e.entryDate),
      entries.map((e) => e.createdAt),
      entries.map((e) => e.updatedAt),
      entries.map((e) => e.deletedAt),
    ],
  );
  return result.rowCount;
}
