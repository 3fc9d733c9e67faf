// Security events: one row in audit_events and one structured log line each. Never a token.
import type { Logger } from 'pino';
import type { Queryable } from './db/db.js';

export const AUDIT = {
  registered: 'registered',
  loginSucceeded: 'login_succeeded',
  loginFailed: 'login_failed',
  tokenRefreshed: 'token_refreshed',
  refreshReuseDetected: 'refresh_reuse_detected',
  logout: 'logout',
  sessionRevoked: 'session_revoked',
  passwordChanged: 'password_changed',
  passwordResetRequested: 'password_reset_requested',
  passwordReset: 'password_reset',
  accountDeleted: 'account_deleted',
  twoFactorEnabled: 'two_factor_enabled',
  twoFactorDisabled: 'two_factor_disabled',
  twoFactorFailed: 'two_factor_failed',
  recoveryCodeUsed: 'recovery_code_used',
  recoveryCodesRegenerated: 'recovery_codes_regenerated',
  stepUp: 'step_up',
  /** A fresh sign-in proved one account while the browser held another account's session: nothing renewed. */
  stepUpRefused: 'step_up_refused',
  /** A wrong current password (account page, step-up): counted as a failed sign-in of the account. */
  passwordCheckFailed: 'password_check_failed',
  /** A current-password check refused by the sign-in limits, before any check. */
  passwordCheckLimited: 'password_check_limited',
  emailVerified: 'email_verified',
  emailChangeRequested: 'email_change_requested',
  emailChanged: 'email_changed',
  identityLinked: 'identity_linked',
  identityUnlinked: 'identity_unlinked',
  passkeyAdded: 'passkey_added',
  passkeyRemoved: 'passkey_removed',
  passkeyRenamed: 'passkey_renamed',
  /** Proving the mailbox removed the ways in added while the address was unproved. */
  waysInRemoved: 'ways_in_removed',
} as const;

export type AuditType = (typeof AUDIT)[keyof typeof AUDIT];

export interface AuditEvent {
  type: AuditType;
  userId: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, string | number | boolean>;
  at: Date;
}

export interface RecentEvent {
  type: AuditType;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

/** The log line alone: for an event whose row the database writes itself (the refresh function), or whose rows are going away (a deleted account). */
export function logAudit(logger: Logger, event: AuditEvent): void {
  logger.info(
    { audit: event.type, userId: event.userId, sessionId: event.sessionId ?? undefined, ip: event.ip ?? undefined, ...event.detail },
    `audit ${event.type}`,
  );
}

export async function recordAudit(db: Queryable, logger: Logger, event: AuditEvent): Promise<void> {
  logAudit(logger, event);
  await db.query(
    `INSERT INTO audit_events (user_id, type, session_id, ip, user_agent, detail, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      event.userId,
      event.type,
      event.sessionId ?? null,
      event.ip ?? null,
      event.userAgent?.slice(0, 512) ?? null,
      JSON.stringify(event.detail ?? {}),
      event.at,
    ],
  );
}

export async function listRecentEvents(db: Queryable, userId: string, limit = 20): Promise<RecentEvent[]> {
  const result = await db.query<RecentEvent>(
    `SELECT type, ip, user_agent AS "userAgent", created_at AS "createdAt"
       FROM audit_events WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit],
  );
  return result.rows;
}
