// The one-click unsubscribe link's token: the writer's id and an HMAC of it, so nothing secret is stored.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../uuid.js';

const PURPOSE = 'smriti reminder unsubscribe v1';

function signature(secret: string, userId: string): Buffer {
  const key = createHmac('sha256', secret).update(PURPOSE).digest();
  return createHmac('sha256', key).update(userId).digest();
}

export function unsubscribeToken(secret: string, userId: string): string {
  return `${userId}.${signature(secret, userId).toString('base64url')}`;
}

/** The user the token names, when one of the signing secrets (current or previous) made it. */
export function verifyUnsubscribeToken(secrets: readonly string[], token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length > 200) return undefined;
  const [userId, mac, extra] = token.split('.');
  if (!userId || !mac || extra !== undefined || !isUuid(userId)) return undefined;
  const given = Buffer.from(mac, 'base64url');
  const made = secrets.some((secret) => {
    const expected = signature(secret, userId);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return made ? userId : undefined;
}
