// journal_keys: the journal key wrapped by each of the writer's secrets (DESIGN §16). The server
// never sees the key unwrapped, nor any secret that unwraps it.
import type { Queryable } from '../db/db.js';
import { isUuid } from '../uuid.js';

export type KeyKind = 'passkey' | 'passphrase' | 'recovery';
export const KEY_KINDS: readonly KeyKind[] = ['passkey', 'passphrase', 'recovery'];

export interface KeySummary {
  id: string;
  kind: KeyKind;
  createdAt: Date;
  lastUsedAt: Date | null;
  credentialId: string | null;
}

export interface WrappedKey {
  id: string;
  kind: KeyKind;
  wrappedKey: string;
  salt: string;
  params: unknown;
  credentialId: string | null;
}

export interface NewKey {
  kind: KeyKind;
  wrappedKey: string;
  salt: string;
  params: unknown;
  credentialId: string | null;
}

export async function listKeys(db: Queryable, userId: string): Promise<KeySummary[]> {
  const result = await db.query<KeySummary>(
    `SELECT id, kind, created_at AS "createdAt", last_used_at AS "lastUsedAt", credential_id AS "credentialId"
     FROM journal_keys WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
  return result.rows;
}

export async function listWrappedKeys(db: Queryable, userId: string): Promise<WrappedKey[]> {
  const result = await db.query<WrappedKey>(
    `SELECT id, kind, wrapped_key AS "wrappedKey", salt, params, credential_id AS "credentialId"
     FROM journal_keys WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
  return result.rows;
}

/** A writer has a few ways in; a page stuck in a loop must not fill the table. */
export const MAX_KEYS = 20;

/** The new key's id, or undefined when the user already has MAX_KEYS (one statement: two racing adds cannot pass it together by much). */
export async function addKey(db: Queryable, userId: string, key: NewKey, at: Date): Promise<string | undefined> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO journal_keys (user_id, kind, wrapped_key, salt, params, credential_id, created_at)
     SELECT $1, $2, $3, $4, $5::jsonb, $6, $7
     WHERE (SELECT count(*) FROM journal_keys WHERE user_id = $1) < $8
     RETURNING id`,
    [userId, key.kind, key.wrappedKey, key.salt, key.params === null ? null : JSON.stringify(key.params), key.credentialId, at, MAX_KEYS],
  );
  return result.rows[0]?.id;
}

/** Whether `credentialId` (base64url) names one of the user's own passkeys. */
export async function ownsPasskey(db: Queryable, userId: string, credentialId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM webauthn_credentials WHERE user_id = $1 AND credential_id = $2', [userId, credentialId]);
  return result.rows.length > 0;
}

export async function hasPasskey(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM webauthn_credentials WHERE user_id = $1 LIMIT 1', [userId]);
  return result.rows.length > 0;
}

export type KeyRemoval = 'removed' | 'not_found' | 'keys_needed';

/**
 * Removes one wrapper, unless the journal is sealed and that would leave it without a recovery key
 * or without any other wrapper. The user's row is locked first, so two removals racing cannot
 * together take away what each alone would have left.
 */
export async function removeKey(db: Queryable, userId: string, id: string): Promise<KeyRemoval> {
  if (!isUuid(id.toLowerCase())) return 'not_found';
  const state = await db.query<{ state: string }>('SELECT journal_state AS state FROM users WHERE id = $1 FOR UPDATE', [userId]);
  const keys = await db.query<{ id: string; kind: KeyKind }>('SELECT id, kind FROM journal_keys WHERE user_id = $1', [userId]);
  const target = keys.rows.find((key) => key.id === id.toLowerCase());
  if (!target) return 'not_found';
  const left = keys.rows.filter((key) => key !== target);
  if (state.rows[0]?.state !== 'open' && !enoughKeys(left)) return 'keys_needed';
  await db.query('DELETE FROM journal_keys WHERE id = $1 AND user_id = $2', [target.id, userId]);
  return 'removed';
}

/** At least the recovery key and one other wrapper (DESIGN §16). */
export function enoughKeys(keys: ReadonlyArray<{ kind: KeyKind }>): boolean {
  return keys.some((key) => key.kind === 'recovery') && keys.some((key) => key.kind !== 'recovery');
}

/**
 * A passkey leaves the account: its journal wrappers go with it (no PRF can open them any more),
 * unless the journal is sealed and would then lack a wrapper besides the recovery key. In the
 * caller's transaction, with the user's row already locked.
 */
export async function dropPasskeyWrappers(tx: Queryable, userId: string, credentialId: string): Promise<boolean> {
  const state = await tx.query<{ state: string }>('SELECT journal_state AS state FROM users WHERE id = $1', [userId]);
  const keys = await tx.query<{ kind: KeyKind; credentialId: string | null }>(
    'SELECT kind, credential_id AS "credentialId" FROM journal_keys WHERE user_id = $1',
    [userId],
  );
  const left = keys.rows.filter((key) => key.credentialId !== credentialId);
  if (left.length === keys.rows.length) return true;
  if (state.rows[0]?.state !== 'open' && !enoughKeys(left)) return false;
  await tx.query('DELETE FROM journal_keys WHERE user_id = $1 AND credential_id = $2', [userId, credentialId]);
  return true;
}

export async function touchKey(db: Queryable, userId: string, id: string, at: Date): Promise<boolean> {
  if (!isUuid(id.toLowerCase())) return false;
  const result = await db.query('UPDATE journal_keys SET last_used_at = $3 WHERE id = $1 AND user_id = $2', [id.toLowerCase(), userId, at]);
  return result.rowCount > 0;
}

export async function deleteAllKeys(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM journal_keys WHERE user_id = $1', [userId]);
}
