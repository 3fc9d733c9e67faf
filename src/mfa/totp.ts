// Authenticator-app codes (TOTP, RFC 6238: 30 s, 6 digits, SHA-1): the secret kept encrypted, each
// code accepted once, one step of clock drift either way.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import type { Queryable } from '../db/db.js';

const ISSUER = 'Smriti';
const PERIOD_SECONDS = 30;
/** One step either way: a phone clock a little off still works (RFC 6238 §5.2 allows it). */
const DRIFT_SECONDS = PERIOD_SECONDS;

/** Keys derived from the signing secrets, by key id: the current one encrypts, any one decrypts. */
export interface SecretBox {
  readonly currentKid: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

function derive(secret: string): { kid: string; key: Buffer } {
  const key = createHmac('sha256', secret).update('smriti totp secret key').digest();
  return { kid: createHmac('sha256', key).update('kid').digest('base64url').slice(0, 8), key };
}

export function createSecretBox(secret: string, previousSecrets: readonly string[]): SecretBox {
  const current = derive(secret);
  const keys = new Map([[current.kid, current.key]]);
  for (const old of previousSecrets) {
    const { kid, key } = derive(old);
    keys.set(kid, key);
  }
  return { currentKid: current.kid, keys };
}

function seal(box: SecretBox, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', box.keys.get(box.currentKid)!, iv);
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [box.currentKid, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

/** The secret, or undefined when no key we hold opens it (its signing secret was retired for good). */
function open(box: SecretBox, text: string): string | undefined {
  const [kid, iv, tag, sealed] = text.split('.');
  const key = kid ? box.keys.get(kid) : undefined;
  if (!key || !iv || !tag || !sealed) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export interface TotpSetup {
  secret: string;
  uri: string;
  qrSvg: string;
}

export interface TotpState {
  enabled: boolean;
  secret: string | undefined;
  lastTimeStep: number;
}

/** The user's authenticator state: none, being set up, or on. */
export async function findTotp(db: Queryable, box: SecretBox, userId: string): Promise<TotpState | undefined> {
  const result = await db.query<{ secret_encrypted: string; last_time_step: string; enabled_at: Date | null }>(
    'SELECT secret_encrypted, last_time_step, enabled_at FROM totp_credentials WHERE user_id = $1',
    [userId],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return { enabled: row.enabled_at !== null, secret: open(box, row.secret_encrypted), lastTimeStep: Number(row.last_time_step) };
}

export async function isTotpEnabled(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM totp_credentials WHERE user_id = $1 AND enabled_at IS NOT NULL', [userId]);
  return result.rows.length > 0;
}

/** The secret being set up (a new one unless setup has already begun), with its link and QR code. */
export async function beginTotpSetup(db: Queryable, box: SecretBox, userId: string, email: string, at: Date): Promise<TotpSetup> {
  const existing = await findTotp(db, box, userId);
  let secret = existing && !existing.enabled ? existing.secret : undefined;
  if (!secret) {
    secret = generateSecret();
    await db.query(
      `INSERT INTO totp_credentials (user_id, secret_encrypted, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = $2, created_at = $3, last_time_step = 0
       WHERE totp_credentials.user_id = $1 AND totp_credentials.enabled_at IS NULL`,
      [userId, seal(box, secret), at],
    );
  }
  const uri = generateURI({ issuer: ISSUER, label: email, secret });
  // Only the set-up page draws a QR code: loaded there, not at every start.
  const { default: QRCode } = await import('qrcode');
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrSvg };
}

/** A code spent now; a wrong one; or a current code of the secret that was already spent (say so, not "wrong"). */
export type TotpUse = 'ok' | 'wrong' | 'reused';

/**
 * Whether `code` is a current code of the user's secret that was not used before. A code is spent
 * by moving last_time_step past it in the same statement, so two requests racing with one code
 * cannot both pass.
 */
export async function useTotpCode(db: Queryable, box: SecretBox, userId: string, code: string, nowMs: number): Promise<TotpUse> {
  if (!/^\d{6}$/.test(code)) return 'wrong';
  const state = await findTotp(db, box, userId);
  if (!state?.secret) return 'wrong';
  const check = (afterTimeStep?: number) =>
    verify({ secret: state.secret!, token: code, epoch: Math.floor(nowMs / 1000), epochTolerance: DRIFT_SECONDS, afterTimeStep }).catch(
      () => ({ valid: false as const }),
    );
  const result = await check(state.lastTimeStep);
  // A TOTP result names the time step it matched; that step and every older one are spent now.
  if (!result.valid || !('timeStep' in result)) {
    // The very code last spent is "already used"; an older step's code is simply no longer right.
    const spentOne = await check();
    return spentOne.valid && 'timeStep' in spentOne && spentOne.timeStep === state.lastTimeStep ? 'reused' : 'wrong';
  }
  const spent = await db.query('UPDATE totp_credentials SET last_time_step = $2 WHERE user_id = $1 AND last_time_step < $2', [
    userId,
    result.timeStep,
  ]);
  return spent.rowCount === 1 ? 'ok' : 'reused';
}

export async function enableTotp(db: Queryable, userId: string, at: Date): Promise<void> {
  await db.query('UPDATE totp_credentials SET enabled_at = $2 WHERE user_id = $1', [userId, at]);
}

export async function removeTotp(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM totp_credentials WHERE user_id = $1', [userId]);
}
