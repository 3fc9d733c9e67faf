// What the sealing API accepts, checked before anything is written: a 400 with a sentence otherwise.

import { AppError } from '../http/errors.js';
import { checkEntry } from '../journal/entries.js';
import { isSealedText, type PlainWrite, type SealedWrite } from '../journal/sealed.js';
import { isUuid } from '../uuid.js';
import { KEY_KINDS, type KeyKind, type NewKey } from './keys.js';

export const BATCH_MAX = 200;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const MAX_KEY_CHARS = 1024;

const isBase64 = (value: unknown, min: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= MAX_KEY_CHARS && value.length % 4 === 0 && BASE64.test(value);

function objectOf(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new AppError(400, 'body_invalid', `Send a JSON object ${what}.`);
  return body as Record<string, unknown>;
}

/** Argon2id's cost as the browser used it: m (KiB), t and p, whole numbers in sane bounds. */
function paramsOf(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const params = objectOf(value, 'of Argon2id parameters, such as {"m":65536,"t":3,"p":1}');
  const bounded = (n: unknown, max: number) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  if (!bounded(params.m, 4_194_304) || !bounded(params.t, 100) || !bounded(params.p, 64) || Object.keys(params).length !== 3) {
    throw new AppError(400, 'params_invalid', 'The parameters are Argon2id\u2019s m, t and p, such as {"m":65536,"t":3,"p":1}.');
  }
  return { m: params.m, t: params.t, p: params.p };
}

export function newKeyFrom(body: unknown): NewKey {
  const fields = objectOf(body, 'with kind, wrappedKey and salt');
  const kind = fields.kind as KeyKind;
  if (!KEY_KINDS.includes(kind)) throw new AppError(400, 'kind_invalid', 'The kind of key is passkey, passphrase or recovery.');
  // 12-byte IV, the 32-byte key and the 16-byte tag: 60 bytes, 80 base64 characters at least.
  if (!isBase64(fields.wrappedKey, 80))
    throw new AppError(400, 'wrapped_key_invalid', 'The wrapped key must be base64 of IV and ciphertext.');
  if (!isBase64(fields.salt, 12)) throw new AppError(400, 'salt_invalid', 'The salt must be base64 of at least 8 bytes.');
  const params = paramsOf(fields.params);
  if (kind === 'passphrase' && params === null)
    throw new AppError(400, 'params_invalid', 'A passphrase key names its Argon2id parameters.');
  const credentialId = fields.credentialId ?? null;
  if (kind === 'passkey' && !(typeof credentialId === 'string' && credentialId.length <= MAX_KEY_CHARS && BASE64URL.test(credentialId))) {
    throw new AppError(400, 'credential_invalid', 'A passkey key names its passkey\u2019s credential id (base64url).');
  }
  if (kind !== 'passkey' && credentialId !== null)
    throw new AppError(400, 'credential_invalid', 'Only a passkey key names a credential id.');
  return { kind, wrappedKey: fields.wrappedKey, salt: fields.salt, params, credentialId: credentialId as string | null };
}

function batchRows(body: unknown): Record<string, unknown>[] {
  const entries = objectOf(body, 'with "entries"').entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > BATCH_MAX) {
    throw new AppError(400, 'batch_invalid', `Send "entries": a list of 1 to ${BATCH_MAX} entries.`);
  }
  return entries.map((row) => objectOf(row, 'for each entry'));
}

function idAndVersion(row: Record<string, unknown>): { id: string; version: number } {
  if (typeof row.id !== 'string' || !isUuid(row.id.toLowerCase())) throw new AppError(400, 'id_invalid', 'Each entry names its id.');
  if (typeof row.version !== 'number' || !Number.isInteger(row.version) || row.version < 1 || row.version > 2_147_483_647) {
    throw new AppError(400, 'version_invalid', 'Each entry names the version it was read at, a whole number such as 3.');
  }
  return { id: row.id.toLowerCase(), version: row.version };
}

export function sealedBatchFrom(body: unknown): SealedWrite[] {
  return batchRows(body).map((row) => {
    if (!isSealedText(row.sealed))
      throw new AppError(400, 'sealed_invalid', 'Each entry carries "sealed": base64 of an IV and its ciphertext.');
    return { ...idAndVersion(row), sealed: row.sealed };
  });
}

export function plainBatchFrom(body: unknown): PlainWrite[] {
  return batchRows(body).map((row) => {
    const { id, version } = idAndVersion(row);
    const fields = { title: row.title ?? '', body: row.body ?? '', tags: row.tags ?? [], starred: row.starred ?? false };
    const checked = checkEntry(fields, { allowEmpty: true });
    if (checked.kind === 'invalid') throw new AppError(400, 'entry_invalid', `Entry ${id}: ${Object.values(checked.errors).join(' ')}`);
    const { title, body, tags, starred } = checked.entry;
    return { id, version, title, body, tags: tags ?? [], starred: starred ?? false };
  });
}
