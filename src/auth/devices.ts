// The smriti_device cookie and the user_devices table: which browsers an account has signed in from,
// and whether a new one may be announced to its owner (notify/ sends the email).
import { createHash, randomBytes } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/db.js';
import { readCookie } from './cookies.js';

export const DEVICE_COOKIE = 'smriti_device';
const DEVICE_COOKIE_SECONDS = 365 * 24 * 60 * 60;
// 32 random bytes, base64url: anything else in the cookie is ignored and replaced.
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A browser that drops cookies is new at every sign-in; past this many a day, the owner is not told again. */
export const NEW_DEVICE_EMAILS_PER_DAY = 3;

function deviceCookieOptions(config: Config): CookieOptions {
  // Lax whatever COOKIE_SAMESITE says: it names a browser and grants nothing, and it must be sent
  // on the top-level navigations that end a sign-in (an OpenID Connect callback among them).
  const options: CookieOptions = {
    httpOnly: true,
    secure: config.cookies.secure,
    sameSite: 'lax',
    path: config.cookies.path,
    maxAge: DEVICE_COOKIE_SECONDS * 1000,
  };
  if (config.cookies.domain) options.domain = config.cookies.domain;
  return options;
}

// With the user id in the digest, one browser shared by two accounts is not linkable in the table.
const deviceHash = (userId: string, deviceId: string) => createHash('sha256').update(`${userId}:${deviceId}`).digest('hex');

/** True when the device is new to the account (this call added it). */
async function recordDevice(db: Queryable, userId: string, hash: string, at: Date): Promise<boolean> {
  const inserted = await db.query(
    `INSERT INTO user_devices (user_id, device_hash, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (user_id, device_hash) DO NOTHING`,
    [userId, hash, at],
    'notify_record_device',
  );
  if (inserted.rowCount > 0) return true;
  await db.query(
    `UPDATE user_devices SET last_seen_at = greatest(last_seen_at, $3) WHERE user_id = $1 AND device_hash = $2`,
    [userId, hash, at],
    'notify_touch_device',
  );
  return false;
}

/** Claims the day's new-device email for this device, unless it (or the account's daily cap) is spent. */
async function claimNewDeviceEmail(db: Db, userId: string, hash: string, at: Date): Promise<boolean> {
  const dayAgo = new Date(at.getTime() - DAY_MS);
  return db.transaction(async (tx) => {
    // One claim at a time per account, so sign-ins at the same moment cannot all slip under the cap.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smriti:devices:${userId}`], 'notify_lock_devices');
    const claimed = await tx.query(
      `UPDATE user_devices SET new_device_emailed_at = $3
        WHERE user_id = $1 AND device_hash = $2 AND (new_device_emailed_at IS NULL OR new_device_emailed_at <= $4)
          AND (SELECT count(*) FROM user_devices WHERE user_id = $1 AND new_device_emailed_at > $4) < $5`,
      [userId, hash, at, dayAgo, NEW_DEVICE_EMAILS_PER_DAY],
      'notify_claim_new_device_email',
    );
    return claimed.rowCount > 0;
  });
}

export interface Sighting {
  userId: string;
  deviceId: string;
  at: Date;
  ip: string | null;
  userAgent: string | null;
  newAccount: boolean;
}

/** Sets or renews the device cookie, and says which browser this is. */
export function deviceSighting(config: Config, req: Request, res: Response, userId: string, newAccount: boolean, at: Date): Sighting {
  const presented = readCookie(req.cookies, DEVICE_COOKIE);
  const deviceId = presented && DEVICE_ID.test(presented) ? presented : randomBytes(32).toString('base64url');
  res.cookie(DEVICE_COOKIE, deviceId, deviceCookieOptions(config));
  return { userId, deviceId, at, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, newAccount };
}

/** Records the device; true when it is new to the account and its owner is to be told (within the daily cap). */
export async function recordSighting(db: Db, sighting: Sighting): Promise<{ isNew: boolean; announce: boolean }> {
  const { userId, at } = sighting;
  const hash = deviceHash(userId, sighting.deviceId);
  const isNew = await recordDevice(db, userId, hash, at);
  // The browser an account was created in is where its owner is: nothing to tell them.
  const announce = isNew && !sighting.newAccount && (await claimNewDeviceEmail(db, userId, hash, at));
  return { isNew, announce };
}

/** Devices unseen for longer than the cookie lives can never be presented again. */
export async function pruneDevices(db: Queryable, before: Date): Promise<number> {
  return (await db.query('DELETE FROM user_devices WHERE last_seen_at < $1', [before])).rowCount;
}

export const DEVICES_KEPT_MS = (DEVICE_COOKIE_SECONDS + 24 * 60 * 60) * 1000;
