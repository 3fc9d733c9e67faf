// A sealed account's own export (DESIGN §16): the server cannot read the journal, so its download is
// a sealed backup, the ciphertext and the wrapped keys, that the browser can open with any of them.
// Importing one back is the only import a sealed journal takes on the server.
import { z } from 'zod';
import type { Db } from '../db/db.js';
import type { Entry } from '../journal/entries.js';
import { isDay } from '../journal/entries.js';
import { type ImportedSealed, isSealedText } from '../journal/sealed.js';
import { listWrappedKeys } from '../sealing/keys.js';

export const SEALED_BACKUP_FORMAT = 'smriti-sealed-backup';
export const SEALED_BACKUP_VERSION = 1;

export function sealedBackupName(day: string): string {
  return `smriti-sealed-backup-${day}.json`;
}

function record(e: Entry) {
  const times = { createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString() };
  const trashed = e.deletedAt ? { trashedAt: e.deletedAt.toISOString() } : {};
  if (e.sealed !== null) return { id: e.id, entryDate: e.entryDate, version: e.version, sealed: e.sealed, ...times, ...trashed };
  // Not sealed yet (sealing was under way): the server holds it as plaintext, and so does the backup.
  return {
    id: e.id,
    entryDate: e.entryDate,
    version: e.version,
    title: e.title,
    body: e.body,
    tags: e.tags,
    starred: e.starred,
    ...times,
    ...trashed,
  };
}

export async function* sealedBackup(db: Db, userId: string, pages: AsyncIterable<Entry[]>, exportedAt: Date): AsyncGenerator<string> {
  const keys = await listWrappedKeys(db, userId);
  const head = { format: SEALED_BACKUP_FORMAT, version: SEALED_BACKUP_VERSION, exportedAt: exportedAt.toISOString(), userId, keys };
  yield `${JSON.stringify(head).slice(0, -1)},"entries":[`;
  let separator = '\n';
  for await (const entries of pages) {
    let chunk = '';
    for (const e of entries) {
      chunk += separator + JSON.stringify(record(e));
      separator = ',\n';
    }
    yield chunk;
  }
  yield '\n]}\n';
}

const time = z.iso.datetime({ offset: true, error: 'must be a date and time such as 2024-05-01T09:30:00Z' });
const sealedEntry = z.object({
  id: z.guid({ error: 'must be an entry id' }),
  entryDate: z.string().refine(isDay, 'must be a day such as 2024-05-01'),
  sealed: z.string().refine(isSealedText, 'must be the base64 of a sealed entry'),
  createdAt: time,
  updatedAt: time,
  trashedAt: time.optional(),
});
const backupSchema = z.object({
  format: z.literal(SEALED_BACKUP_FORMAT),
  version: z.literal(SEALED_BACKUP_VERSION),
  userId: z.string(),
  entries: z.array(z.looseObject({})),
});

export type SealedBackupRead =
  | { kind: 'not_a_backup' }
  | { kind: 'refused'; message: string }
  | { kind: 'entries'; entries: ImportedSealed[] };

/** A sealed backup of this account, checked whole; any other file is `not_a_backup`. */
export function readSealedBackup(bytes: Buffer, userId: string): SealedBackupRead {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { kind: 'not_a_backup' };
  }
  if ((json as { format?: unknown } | null)?.format !== SEALED_BACKUP_FORMAT) return { kind: 'not_a_backup' };
  const backup = backupSchema.safeParse(json);
  if (!backup.success) return { kind: 'refused', message: 'Nothing was imported: the sealed backup is damaged or from a newer Smriti.' };
  if (backup.data.userId !== userId) {
    return {
      kind: 'refused',
      message: 'Nothing was imported: this sealed backup is another account’s, and only that account can open it.',
    };
  }
  const entries: ImportedSealed[] = [];
  for (const [index, raw] of backup.data.entries.entries()) {
    const entry = sealedEntry.safeParse(raw);
    if (!entry.success) {
      const why = 'sealed' in raw ? 'is damaged' : 'was not sealed yet when the backup was made; import it from your browser';
      return { kind: 'refused', message: `Nothing was imported: entry ${index + 1} of the backup ${why}.` };
    }
    const { id, sealed, entryDate, createdAt, updatedAt, trashedAt } = entry.data;
    entries.push({
      id: id.toLowerCase(),
      sealed,
      entryDate,
      createdAt: new Date(createdAt),
      updatedAt: new Date(updatedAt),
      deletedAt: trashedAt ? new Date(trashedAt) : null,
    });
  }
  return { kind: 'entries', entries };
}
