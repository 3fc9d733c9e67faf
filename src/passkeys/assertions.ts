// Using a passkey once (sign-in or confirm): the signature checked, a counter gone backwards logged
// and counted, and the passkey's counter and last use recorded.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AppContext } from '../context.js';
import { countPasskey } from '../http/metrics.js';
import { checkAssertion, MESSAGES, type Refusal } from './ceremonies.js';
import { findPasskey, recordPasskeyUse } from './credentials.js';

export async function usePasskey(
  ctx: AppContext,
  userId: string,
  response: AuthenticationResponseJSON,
  challenge: string,
): Promise<{ kind: 'ok' } | Refusal> {
  const passkey = await findPasskey(ctx.db, userId, response.id);
  if (!passkey) return { kind: 'refused', reason: 'unknown_passkey', message: MESSAGES.unknownPasskey };
  const checked = await checkAssertion(ctx, response, challenge, passkey);
  if (checked.kind === 'counter_regressed') {
    // A cloned authenticator is the usual reason (WebAuthn §6.1.1): the operator should hear of it.
    ctx.logger.warn(
      { userId, passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter: checked.counter },
      'passkey signature counter went backwards',
    );
    countPasskey(ctx.metrics, 'counter_regressed');
    return { kind: 'refused', reason: 'counter_regressed', message: MESSAGES.counter };
  }
  if (checked.kind !== 'ok') return checked;
  await recordPasskeyUse(ctx.db, userId, passkey.id, checked.counter, checked.backedUp, new Date(ctx.now()));
  return { kind: 'ok' };
}
