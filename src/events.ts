// Security events: what just happened to an account, told to whoever listens (notify/ emails the
// owner). A feature emits after its change is committed; it never knows who listens.
import type { Logger } from 'pino';

interface Facts {
  userId: string;
  /** When it happened; stamped at emit when left out. */
  at: Date;
  /** The request that did it. */
  ip?: string | null;
  userAgent?: string | null;
}

// theft: `sessionId` is the session (refresh-token family) that was ended. email_changed: the
// address the account had is the one told. ways_in_removed: each way in taken back, in words.
export type SecurityEvent = Facts &
  (
    | { kind: 'theft'; sessionId: string }
    | { kind: 'email_changed'; previousEmail: string }
    | { kind: 'passkey_added'; passkeyName: string }
    | { kind: 'identity_linked'; provider: string; providerEmail: string | null }
    | { kind: 'ways_in_removed'; removed: string[] }
    | { kind: 'recovery_code_used'; codesLeft: number }
    | { kind: 'account_created'; email: string; emailVerified: boolean }
    | { kind: 'password_changed' | 'password_reset' | 'two_factor_enabled' | 'two_factor_disabled' }
  );

export type SecurityEventKind = SecurityEvent['kind'];
/** An event as emitted: `at` may be left to the emitter's clock. */
export type NewSecurityEvent = SecurityEvent extends infer E ? (E extends SecurityEvent ? Omit<E, 'at'> & { at?: Date } : never) : never;
export type SecurityListener = (event: SecurityEvent) => Promise<void> | void;

export interface SecurityEvents {
  on(listener: SecurityListener): void;
  /** Hands the event to every listener on a later turn: a listener never slows or fails the request. */
  emit(event: NewSecurityEvent): void;
}

export function createSecurityEvents(deps: { logger: Logger; now: () => number }): SecurityEvents {
  const listeners: SecurityListener[] = [];
  return {
    on: (listener) => void listeners.push(listener),
    emit(event) {
      const stamped = { ...event, at: event.at ?? new Date(deps.now()) } as SecurityEvent;
      setImmediate(() => {
        for (const listener of listeners) {
          Promise.resolve()
            .then(() => listener(stamped))
            .catch((error: unknown) => {
              deps.logger.error({ security: stamped.kind, userId: stamped.userId, err: error }, 'a security event listener failed');
            });
        }
      });
    },
  };
}
