// The account's security events for /account/activity: refreshes of one session grouped by day, newest first.

import { describeDevice, displayIp } from '../client.js';
import type { Queryable } from '../db/db.js';

export const ACTIVITY_PAGE_SIZE = 50;

export interface ActivityItem {
  label: string;
  device: string;
  ip: string;
  at: Date;
  /** Grouped refreshes: when the first of them happened (`at` is the last). */
  since?: Date;
  count: number;
}

interface ActivityRow {
  type: string;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
  firstAt: Date;
  at: Date;
  n: number;
}

// A session refreshes every few minutes while in use; one line per session and day says the same.
const ACTIVITY_SQL = `
  SELECT type,
         (array_agg(ip ORDER BY id DESC))[1] AS ip,
         (array_agg(user_agent ORDER BY id DESC))[1] AS "userAgent",
         (array_agg(detail ORDER BY id DESC))[1] AS detail,
         min(created_at) AS "firstAt", max(created_at) AS at, count(*)::int AS n, max(id) AS last_id
    FROM audit_events
   WHERE user_id = $1
   GROUP BY type, CASE WHEN type = 'token_refreshed'
                       THEN coalesce(session_id::text, '') || ' ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                       ELSE id::text END
   ORDER BY max(created_at) DESC, max(id) DESC
   LIMIT $2 OFFSET $3`;

const METHODS: Record<string, string> = {
  password: 'password',
  'password+totp': 'password and authenticator code',
  'password+recovery_code': 'password and recovery code',
  passkey: 'a passkey',
  oidc: 'single sign-on',
};

// Events whose sentence needs nothing from the row but its type.
const SENTENCES: Record<string, string> = {
  two_factor_enabled: 'Two-step sign-in turned on',
  two_factor_disabled: 'Two-step sign-in turned off',
  two_factor_failed: 'Failed two-step sign-in: wrong or already used code',
  recovery_code_used: 'A recovery code was used (each works once)',
  recovery_codes_regenerated: 'New recovery codes made (the old ones stopped working)',
  step_up: 'Confirmed it was you, for a sensitive change',
  password_check_failed: 'Wrong current password entered on the account page',
  password_check_limited: 'Too many wrong passwords: the check was refused for a while',
  email_verified: 'Email address verified',
  email_change_requested: 'Change of email address asked for',
  email_changed: 'Email address changed',
  identity_linked: 'Single sign-on account linked',
  identity_unlinked: 'Single sign-on account unlinked',
  passkey_added: 'Passkey added',
  passkey_removed: 'Passkey removed',
  passkey_renamed: 'Passkey renamed',
};

function labelOf(row: ActivityRow): string {
  const { detail } = row;
  switch (row.type) {
    case 'registered':
      return 'Account created';
    case 'login_succeeded':
      return `Signed in with ${METHODS[String(detail.method ?? 'password')] ?? String(detail.method)}`;
    case 'login_failed':
      return 'Failed sign-in: wrong password';
    case 'token_refreshed':
      return row.n === 1 ? 'Stayed signed in (1 refresh)' : `Stayed signed in (${row.n} refreshes)`;
    case 'refresh_reuse_detected':
      return 'A copied sign-in token was used again: that session was ended';
    case 'logout':
      return 'Signed out';
    case 'session_revoked':
      return typeof detail.others === 'number'
        ? `Signed out ${detail.others} other session${detail.others === 1 ? '' : 's'}`
        : 'Signed out a session';
    case 'password_changed':
      return 'Password changed';
    case 'password_reset_requested':
      return 'Password reset link asked for';
    case 'password_reset':
      return 'Password reset';
    case 'step_up_refused':
      return 'Refused: another account’s sign-in tried to renew this session';
    case 'ways_in_removed':
      return 'Ways to sign in added before your email was proved were removed';
    default: {
      if (SENTENCES[row.type]) return SENTENCES[row.type]!;
      // Events of features added later read as words until they get a sentence here.
      const words = row.type.replaceAll('_', ' ');
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
  }
}

/** One page (1-based) of the account's activity, and whether an older page exists. */
export async function listActivity(db: Queryable, userId: string, page: number): Promise<{ items: ActivityItem[]; hasOlder: boolean }> {
  const result = await db.query<ActivityRow>(ACTIVITY_SQL, [userId, ACTIVITY_PAGE_SIZE + 1, (page - 1) * ACTIVITY_PAGE_SIZE]);
  const items = result.rows.slice(0, ACTIVITY_PAGE_SIZE).map((row) => ({
    label: labelOf(row),
    device: describeDevice(row.userAgent),
    ip: displayIp(row.ip),
    at: row.at,
    since: row.n > 1 ? row.firstAt : undefined,
    count: row.n,
  }));
  return { items, hasOlder: result.rows.length > ACTIVITY_PAGE_SIZE };
}
