// Who may import now: one import per account across processes (import_claims), a few per process,
// and an upload's declared size checked before a byte of it is read.
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { type Queryable, STATEMENT_TIMEOUTS } from '../db/db.js';
import { IMPORT_MAX_BYTES } from './import.js';

// Each import holds its file in memory while it is checked: two at once bound what a process holds.
export const IMPORTS_AT_ONCE_PER_PROCESS = 2;
// Long enough for a 20 MB upload over a slow line plus the import's own statements.
const CLAIM_MS = 10 * 60_000 + STATEMENT_TIMEOUTS.import;
// multipart's boundaries and headers around the file.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export type ImportAdmission = { kind: 'ok'; release: () => Promise<void> } | { kind: 'too_large' | 'busy' | 'already_importing' };

const CLAIM_SQL = `INSERT INTO import_claims AS c (user_id, claim_id, expires_at) VALUES ($1, $2, $4)
  ON CONFLICT (user_id) DO UPDATE SET claim_id = excluded.claim_id, expires_at = excluded.expires_at
    WHERE c.expires_at <= $3
  RETURNING claim_id`;

/** Counts this process's imports in progress; made once per app. */
export function createImportGate(): { running: number } {
  return { running: 0 };
}

/** Admits an import before its upload is read, or says why not; `release` must run when it ends. */
export async function admitImport(
  db: Queryable,
  gate: { running: number },
  req: Request,
  userId: string,
  now: number,
  maxBytes = IMPORT_MAX_BYTES,
): Promise<ImportAdmission> {
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_OVERHEAD_BYTES) return { kind: 'too_large' };
  if (gate.running >= IMPORTS_AT_ONCE_PER_PROCESS) return { kind: 'busy' };
  gate.running += 1;
  const claimId = randomUUID();
  let claimed = false;
  try {
    const { rows } = await db.query(CLAIM_SQL, [userId, claimId, new Date(now), new Date(now + CLAIM_MS)]);
    claimed = rows.length === 1;
  } finally {
    if (!claimed) gate.running -= 1;
  }
  if (!claimed) return { kind: 'already_importing' };
  const release = async () => {
    gate.running -= 1;
    await db.query(`DELETE FROM import_claims WHERE user_id = $1 AND claim_id = $2`, [userId, claimId]);
  };
  return { kind: 'ok', release };
}
