// sendSecurityEmail: tells an account's owner what just happened to it, after the answer has gone.

import { describeDevice, displayIp } from '../client.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import type { SecurityListener } from '../events.js';
import { countSecurityEmail, SECURITY_EMAIL_KINDS, type SecurityEmailKind } from '../http/metrics.js';
import { sendMail } from '../mail.js';
import { composeSecurityEmail, formatEmailTime } from './email-text.js';

export type { SecurityEmailKind } from '../http/metrics.js';

export interface SecurityEmailDetails {
  /** The request that did it: its address and User-Agent. */
  ip?: string | null;
  userAgent?: string | null;
  /** When it happened; now when left out. */
  at?: Date;
  /** theft: the session (refresh-token family) that was ended. */
  sessionId?: string;
  /** email_changed: the address the account had, which is the one told. */
  previousEmail?: string;
  /** passkey_added: the name its owner gave it. */
  passkeyName?: string;
  /** identity_linked: the provider's name and the address it gave. */
  provider?: string;
  providerEmail?: string | null;
  /** ways_in_removed: each way in that was removed, in words. */
  removed?: string[];
  /** recovery_code_used: how many unused codes remain. */
  codesLeft?: number;
}

type Deps = Pick<AppContext, 'config' | 'db' | 'logger' | 'mailer' | 'metrics' | 'now'>;

interface Owner {
  email: string;
  timeZone: string | null;
}

async function findOwner(db: Queryable, userId: string): Promise<Owner | undefined> {
  // When users.time_zone exists, select it here instead of NULL: every time in the emails follows.
  const result = await db.query<Owner>(`SELECT email, time_zone AS "timeZone" FROM users WHERE id = $1`, [userId], 'notify_find_owner');
  return result.rows[0];
}

/** "Chrome on macOS, signed in 1 December 2026, 09:30 (UTC)": where the ended session began. */
async function describeSession(db: Queryable, userId: string, sid: string, timeZone: string | null): Promise<string | undefined> {
  const result = await db.query<{ signedInAt: Date | null; userAgent: string | null }>(
    `SELECT min(issued_at) AS "signedInAt", (array_agg(user_agent ORDER BY issued_at))[1] AS "userAgent"
       FROM refresh_tokens WHERE user_id = $1 AND family_id = $2`,
    [userId, sid],
    'notify_describe_session',
  );
  const row = result.rows[0];
  if (!row?.signedInAt) return undefined;
  return `${describeDevice(row.userAgent)}, signed in ${formatEmailTime(row.signedInAt, timeZone)}`;
}

async function deliver(deps: Deps, userId: string, kind: SecurityEmailKind, details: SecurityEmailDetails): Promise<void> {
  const owner = await findOwner(deps.db, userId);
  if (!owner) return; // the account is gone: nobody to tell
  const at = details.at!;
  const endedSession = details.sessionId ? await describeSession(deps.db, userId, details.sessionId, owner.timeZone) : undefined;
  const email = composeSecurityEmail(kind, {
    when: formatEmailTime(at, owner.timeZone),
    device: describeDevice(details.userAgent ?? null),
    ip: displayIp(details.ip),
    origin: deps.config.appOrigin,
    endedSession,
    passkeyName: details.passkeyName,
    provider: details.provider,
    providerEmail: details.providerEmail ?? undefined,
    removed: details.removed,
    codesLeft: details.codesLeft,
    newEmail: kind === 'email_changed' ? owner.email : undefined,
  });
  const to = kind === 'email_changed' && details.previousEmail ? details.previousEmail : owner.email;
  const outcome = await sendMail(deps.mailer, { kind: `security_${kind}`, to, ...email });
  countSecurityEmail(deps.metrics, kind, outcome);
}

/** deliver, with a failure logged and counted in smriti_security_email_total: nobody is waiting on it. */
async function deliverLogged(deps: Deps, userId: string, kind: SecurityEmailKind, details: SecurityEmailDetails): Promise<void> {
  await deliver(deps, userId, kind, details).catch((error: unknown) => {
    deps.logger.error({ mail: `security_${kind}`, userId, err: error }, 'security email could not be prepared');
    countSecurityEmail(deps.metrics, kind, 'failed');
  });
}

/**
 * Emails the owner of `userId` about `kind`, on a later turn of the event loop: never slows or
 * fails the request that calls it.
 */
export function sendSecurityEmail(deps: Deps, userId: string, kind: SecurityEmailKind, details: SecurityEmailDetails = {}): void {
  const stamped = { ...details, at: details.at ?? new Date(deps.now()) };
  setImmediate(() => void deliverLogged(deps, userId, kind, stamped));
}

const EMAILED: ReadonlySet<string> = new Set(SECURITY_EMAIL_KINDS);

/** The listener createApp gives the security events: the owner is emailed about each kind that has an email. */
export function emailOwner(deps: Deps): SecurityListener {
  return (event) => {
    if (!EMAILED.has(event.kind)) return;
    const details: SecurityEmailDetails = {
      ip: event.ip,
      userAgent: event.userAgent,
      at: event.at,
      sessionId: event.kind === 'theft' ? event.sessionId : undefined,
      previousEmail: event.kind === 'email_changed' ? event.previousEmail : undefined,
      passkeyName: event.kind === 'passkey_added' ? event.passkeyName : undefined,
      provider: event.kind === 'identity_linked' ? event.provider : undefined,
      providerEmail: event.kind === 'identity_linked' ? event.providerEmail : undefined,
      removed: event.kind === 'ways_in_removed' ? event.removed : undefined,
      codesLeft: event.kind === 'recovery_code_used' ? event.codesLeft : undefined,
    };
    return deliverLogged(deps, event.userId, event.kind as SecurityEmailKind, details);
  };
}
