// A journal's way between open and sealed (DESIGN §16): starting to seal or unseal, what is left to
// re-write, and the batches the browser sends, each entry checked by its version.
import type { Db, Queryable } from '../db/db.js';
import { ENTRY_COLUMNS, type Entry, toJson } from '../journal/entries.js';
import { type JournalState, type PlainWrite, type SealedWrite, writeSealed, writeUnsealed } from '../journal/sealed.js';
import { deleteAllKeys, enoughKeys, type KeyKind } from './keys.js';
import { remainingPhotos } from './photos.js';

export async function remainingEntries(db: Queryable, userId: string, state: JournalState): Promise<number> {
  if (state === 'open') return 0;
  const result = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM entries WHERE user_id = $1 AND (sealed IS NULL) = $2`,
    [userId, state === 'sealed'],
  );
  return result.rows[0]!.count;
}

export type StateChange = { kind: 'done'; state: JournalState } | { kind: 'keys_needed' } | { kind: 'not_sealed' };

async function lockedState(tx: Queryable, userId: string): Promise<JournalState> {
  const result = await tx.query<{ state: JournalState }>('SELECT journal_state AS state FROM users WHERE id = $1 FOR UPDATE', [userId]);
  return result.rows[0]?.state ?? 'open';
}

async function setState(tx: Queryable, userId: string, state: JournalState): Promise<void> {
  await tx.query('UPDATE users SET journal_state = $2 WHERE id = $1', [userId, state]);
}

/** Sealing starts once the recovery key and another wrapper are kept; from then on every write is sealed. */
export function startSealing(db: Db, userId: string): Promise<StateChange> {
  return db.transaction(async (tx) => {
    await lockedState(tx, userId);
    const keys = await tx.query<{ kind: KeyKind }>('SELECT kind FROM journal_keys WHERE user_id = $1', [userId]);
    if (!enoughKeys(keys.rows)) return { kind: 'keys_needed' };
    await setState(tx, userId, 'sealed');
    return { kind: 'done', state: 'sealed' };
  });
}

/** Unsealing: the browser writes plaintext back; a journal with nothing sealed left opens at once. */
export function startUnsealing(db: Db, userId: string): Promise<StateChange> {
  return db.transaction(async (tx) => {
    const state = await lockedState(tx, userId);
    if (state === 'open') return { kind: 'not_sealed' };
    await setState(tx, userId, 'unsealing');
    return { kind: 'done', state: await openWhenDone(tx, userId) };
  });
}

/** Once no sealed entry or photo is left, the journal is open: its wrapped keys and any sealed history are deleted. */
async function openWhenDone(tx: Queryable, userId: string): Promise<JournalState> {
  if ((await remainingEntries(tx, userId, 'unsealing')) > 0) return 'unsealing';
  // A sealed photo left needs the key that is about to be deleted: the journal opens after it.
  if ((await remainingPhotos(tx, userId, 'unsealing')) > 0) return 'unsealing';
  await setState(tx, userId, 'open');
  await deleteAllKeys(tx, userId);
  await tx.query('DELETE FROM entry_versions WHERE user_id = $1 AND sealed IS NOT NULL', [userId]);
  return 'open';
}

/** Unsealing whose last sealed entry was re-written some other way (a save from the editor) ends here. */
export function finishUnsealing(db: Db, userId: string): Promise<JournalState> {
  return db.transaction(async (tx) =>
    (await lockedState(tx, userId)) === 'unsealing' ? openWhenDone(tx, userId) : lockedState(tx, userId),
  );
}

/** What the browser still has to re-write, in the current direction (trash included). */
export async function pendingEntries(db: Queryable, userId: string, state: JournalState, limit: number) {
  if (state === 'open') return [];
  const result = await db.query<Entry>(
    `SELECT ${ENTRY_COLUMNS} FROM entries WHERE user_id = $1 AND (sealed IS NULL) = $2 ORDER BY created_at, id LIMIT $3`,
    [userId, state === 'sealed', limit],
  );
  return result.rows.map((entry) =>
    state === 'sealed'
      ? { ...toJson(entry), trashed: entry.deletedAt !== null }
      : { id: entry.id, version: entry.version, sealed: entry.sealed },
  );
}

export interface BatchResult {
  sealed: Array<{ id: string; version: number }>;
  conflicts: Array<{ id: string; version: number | null }>;
  state: JournalState;
  remaining: number;
}

async function currentVersion(db: Queryable, userId: string, id: string): Promise<number | null> {
  const result = await db.query<{ version: number }>('SELECT version FROM entries WHERE id = $1 AND user_id = $2', [id, userId]);
  return result.rows[0]?.version ?? null;
}

/**
 * One batch, entry by entry: each is written only if it is still at the version the browser read
 * and still in the other form; otherwise it is a conflict, which the browser reloads and retries.
 */
export async function applyBatch(
  db: Db,
  userId: string,
  writes: ReadonlyArray<SealedWrite | PlainWrite>,
  state: 'sealed' | 'unsealing',
  at: Date,
): Promise<BatchResult> {
  const result: BatchResult = { sealed: [], conflicts: [], state, remaining: 0 };
  for (const write of writes) {
    const entry =
      state === 'sealed'
        ? await writeSealed(db, userId, write as SealedWrite, at, true)
        : await writeUnsealed(db, userId, write as PlainWrite, at);
    if (entry) result.sealed.push({ id: entry.id, version: entry.version });
    else result.conflicts.push({ id: write.id, version: await currentVersion(db, userId, write.id) });
  }
  if (state === 'unsealing') result.state = await finishUnsealing(db, userId);
  result.remaining = await remainingEntries(db, userId, result.state);
  return result;
}
