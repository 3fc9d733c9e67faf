// The webauthn_credentials table: a user's passkeys (public keys, counters, transports, flags).
import type { Db, Queryable } from '../db/db.js';
import { dropPasskeyWrappers } from '../sealing/keys.js';

export type DeviceType = 'singleDevice' | 'multiDevice';

export interface Passkey {
  id: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  deviceType: DeviceType;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A passkey about to be stored: the table gives it its id and dates. */
export type NewPasskey = Omit<Passkey, 'id' | 'createdAt' | 'lastUsedAt'>;

/** Enough for every phone, laptop and key a person owns; a bound keeps the account page and the options short. */
export const MAX_PASSKEYS = 20;
const NAME_MAX = 60;

const COLUMNS = `id, credential_id AS "credentialId", public_key AS "publicKey", counter, transports,
  device_type AS "deviceType", backed_up AS "backedUp", name, created_at AS "createdAt", last_used_at AS "lastUsedAt"`;

type Row = Omit<Passkey, 'counter' | 'publicKey'> & { counter: string | number; publicKey: Uint8Array };

function toPasskey(row: Row): Passkey {
  // pg hands bytea back as a Buffer, PGlite as a Uint8Array; bigint arrives as text.
  return { ...row, counter: Number(row.counter), publicKey: new Uint8Array(row.publicKey) };
}

/** A sentence for people when the name cannot be used, undefined when it can. */
export function passkeyNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'Give the passkey a name, such as "My phone".';
  if (trimmed.length > NAME_MAX) return `Use at most ${NAME_MAX} characters for the name.`;
  if (/\p{Cc}/u.test(trimmed)) return 'The name cannot contain control characters.';
  return undefined;
}

export async function listPasskeys(db: Queryable, userId: string): Promise<Passkey[]> {
  const result = await db.query<Row>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
  return result.rows.map(toPasskey);
}

export async function countPasskeys(db: Queryable, userId: string): Promise<number> {
  const result = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webauthn_credentials WHERE user_id = $1', [userId]);
  return result.rows[0]?.n ?? 0;
}

export async function findPasskey(db: Queryable, userId: string, credentialId: string): Promise<Passkey | undefined> {
  const result = await db.query<Row>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE user_id = $1 AND credential_id = $2`, [
    userId,
    credentialId,
  ]);
  const row = result.rows[0];
  return row ? toPasskey(row) : undefined;
}

/** The stored passkey, or undefined when this account already has that credential. */
export async function insertPasskey(db: Queryable, userId: string, passkey: NewPasskey, at: Date): Promise<Passkey | undefined> {
  const result = await db.query<Row>(
    `INSERT INTO webauthn_credentials (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (user_id, credential_id) DO NOTHING RETURNING ${COLUMNS}`,
    [
      userId,
      passkey.credentialId,
      passkey.publicKey,
      passkey.counter,
      passkey.transports,
      passkey.deviceType,
      passkey.backedUp,
      passkey.name.trim(),
      at,
    ],
  );
  const row = result.rows[0];
  return row ? toPasskey(row) : undefined;
}

/** After a good assertion: the new counter (never lowered by a racing older one), the backup flag, when. */
export async function recordPasskeyUse(db: Queryable, userId: string, id: string, counter: number, backedUp: boolean, at: Date) {
  await db.query(
    `UPDATE webauthn_credentials SET counter = GREATEST(counter, $3), backed_up = $4, last_used_at = $5
      WHERE user_id = $1 AND id = $2`,
    [userId, id, counter, backedUp, at],
  );
}

export async function renamePasskey(db: Queryable, userId: string, id: string, name: string): Promise<Passkey | undefined> {
  const result = await db.query<Row>(`UPDATE webauthn_credentials SET name = $3 WHERE user_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [
    userId,
    id,
    name.trim(),
  ]);
  const row = result.rows[0];
  return row ? toPasskey(row) : undefined;
}

export type Removal = { kind: 'removed'; passkey: Passkey } | { kind: 'not_found' } | { kind: 'last_way_in' } | { kind: 'journal_key' };

/**
 * Removes a passkey unless it is the account's last way to sign in (no password, no other passkey).
 * The user's row is locked first, so two removals racing cannot each leave the other's passkey last.
 */
export async function removePasskey(db: Db, userId: string, id: string): Promise<Removal> {
  return db.transaction(async (tx) => {
    const user = await tx.query<{ has_password: boolean }>(
      'SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = $1 FOR UPDATE',
      [userId],
    );
    const rows = await listPasskeys(tx, userId);
    const passkey = rows.find((p) => p.id === id);
    if (!passkey || !user.rows[0]) return { kind: 'not_found' };
    if (!user.rows[0].has_password && rows.length === 1) return { kind: 'last_way_in' };
    if (!(await dropPasskeyWrappers(tx, userId, passkey.credentialId))) return { kind: 'journal_key' };
    await tx.query('DELETE FROM webauthn_credentials WHERE user_id = $1 AND id = $2', [userId, id]);
    return { kind: 'removed', passkey };
  });
}

/** Every passkey of the account, removed; answers their names. */
export async function removeAllPasskeys(db: Queryable, userId: string): Promise<string[]> {
  return (await db.query<{ name: string }>('DELETE FROM webauthn_credentials WHERE user_id = $1 RETURNING name', [userId])).rows.map(
    (p) => p.name,
  );
}
