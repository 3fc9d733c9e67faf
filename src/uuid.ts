// UUIDs: the one check for ids that arrive from outside, and time-ordered ids for hot tables.
import { createHash, randomBytes } from 'node:crypto';

// Lower case only, as PostgreSQL writes them: one spelling per id, so a session id in a token is
// the same string as the one in the revocation set.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * A version 7 UUID (RFC 9562): 48 bits of milliseconds, then random bits. New rows' keys then land
 * at the right edge of the primary-key index instead of on a random page of it.
 */
export function timeOrderedUuid(nowMs: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  return format(bytes, 0x70);
}

/** A version 5 UUID (RFC 9562 §5.5): the SHA-1 of a namespace id and a name, the same every time. */
export function nameBasedUuid(namespace: string, name: string): string {
  const digest = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  return format(digest.subarray(0, 16), 0x50);
}

function format(bytes: Buffer, version: number): string {
  bytes[6] = version | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
