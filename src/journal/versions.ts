// Which version of an entry a save was made from: the If-Match header, a `version` field, or neither.

/** What the save asks for: any version (an unconditional write), one version, or a refusal. */
export type ExpectedVersion =
  | { kind: 'any' }
  | { kind: 'version'; version: number }
  | { kind: 'invalid'; message: string }
  /** A condition that can never hold (a weak entity tag): the answer is 412, and nothing is written. */
  | { kind: 'never'; message: string };

// The column is a PostgreSQL integer; a larger number could never match and must not reach the database.
const MAX_VERSION = 2_147_483_647;
const ENTITY_TAG = /^"(\d{1,10})"$/;
const IF_MATCH_HELP = 'Send If-Match: "<version>" with the version you started from, for example If-Match: "3".';

function asVersion(digits: string): number | undefined {
  const version = Number(digits);
  return /^[1-9]\d*$/.test(digits) && version <= MAX_VERSION ? version : undefined;
}

/** RFC 9110 §13.1.1: `*` matches any stored entry; a strong tag names a version; weak tags never match. */
export function fromIfMatch(header: string | undefined): ExpectedVersion {
  if (header === undefined) return { kind: 'any' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  if (/^W\//.test(value)) {
    return { kind: 'never', message: `If-Match needs a strong entity tag; a weak one (W/…) never matches. ${IF_MATCH_HELP}` };
  }
  if (value.includes(',')) return { kind: 'invalid', message: `If-Match may name one version only. ${IF_MATCH_HELP}` };
  const digits = ENTITY_TAG.exec(value)?.[1];
  const version = digits === undefined ? undefined : asVersion(digits);
  return version === undefined
    ? { kind: 'invalid', message: `If-Match is not a version this server issued. ${IF_MATCH_HELP}` }
    : { kind: 'version', version };
}

/** The `version` field of a JSON body (a whole number) or of a form (its digits); absent or empty means any. */
export function fromField(value: unknown): ExpectedVersion {
  if (value === undefined || value === null || value === '') return { kind: 'any' };
  const version =
    typeof value === 'number' && Number.isInteger(value)
      ? asVersion(String(value))
      : typeof value === 'string'
        ? asVersion(value)
        : undefined;
  return version === undefined
    ? { kind: 'invalid', message: 'The version must be the whole number of the entry version you started from, such as 3.' }
    : { kind: 'version', version };
}

/** Both may be sent; they must then agree. */
export function expectedVersion(ifMatch: string | undefined, field: unknown): ExpectedVersion {
  const fromHeader = fromIfMatch(ifMatch);
  const fromBody = fromField(field);
  if (fromHeader.kind === 'invalid' || fromHeader.kind === 'never') return fromHeader;
  if (fromBody.kind === 'invalid') return fromBody;
  if (fromHeader.kind === 'version' && fromBody.kind === 'version' && fromHeader.version !== fromBody.version) {
    return { kind: 'invalid', message: 'If-Match and the version field name different versions; send one of them.' };
  }
  return fromHeader.kind === 'version' ? fromHeader : fromBody;
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
