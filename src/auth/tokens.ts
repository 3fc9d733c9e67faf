// Signs and checks access, refresh and pending (half-done two-step sign-in) JWTs. Knows neither Express nor the database.
import { createHash, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { isUuid } from '../uuid.js';

export type TokenType = 'access' | 'refresh' | 'pending';

/** A pending sign-in waits this long for its second factor (DESIGN §11). */
export const PENDING_TTL_SECONDS = 300;

export const TOKEN_ISSUER = 'smriti';
export const TOKEN_AUDIENCE = 'smriti';
// Pinned: never let the token's own header choose the algorithm (alg "none", RS/HS confusion).
const ALGORITHM = 'HS256';
// Far larger than any token we mint; refuse before parsing anything bigger.
const MAX_TOKEN_LENGTH = 4096;
// Access tokens already verified, by their exact text (signature included), so a browser's repeated
// access token costs a map lookup instead of two decodes and an HMAC. Bounded; oldest dropped first.
const VERIFIED_CACHE_SIZE = 10_000;

export interface TokenClaims {
  sub: string;
  sid: string;
  typ: TokenType;
  jti: string;
  iat: number;
  exp: number;
  /** Epoch seconds of this session's last full sign-in; kept across refreshes (DESIGN §11). */
  auth_time: number;
  /** Refresh tokens only: the absolute end of this sign-in (DESIGN §14); no refresh token outlives it. */
  session_exp?: number;
  /** Pending tokens only: the way in that proved the first factor (password, oidc). */
  method?: string;
  /** Pending tokens only: where to go once the sign-in is complete (checked again when used). */
  next?: string;
  /** Signed in with "This is a shared computer" (browser-session cookies); always said in access tokens. */
  shared?: boolean;
}

export type TokenFailure = 'missing' | 'expired' | 'invalid';
export type TokenCheck = { kind: 'valid'; claims: TokenClaims } | { kind: TokenFailure };

export interface TokenSettings {
  secret: string;
  previousSecrets: readonly string[];
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  leewaySeconds: number;
  sessionMaxLifetimeSeconds: number;
}

/** Keys and lifetimes prepared once at start, plus the cache of tokens already verified. */
export interface TokenKeys {
  readonly settings: TokenSettings;
  readonly currentKid: string;
  readonly currentKey: KeyObject;
  readonly keysById: ReadonlyMap<string, KeyObject>;
  readonly verified: Map<string, TokenClaims>;
}

export interface SignedToken {
  token: string;
  claims: TokenClaims;
}

export interface TokenSubject {
  sub: string;
  sid: string;
  shared?: boolean;
  /** Defaults to now: a new full sign-in. */
  authTime?: number;
  /** Refresh tokens: the session's absolute end; defaults to now + the maximum lifetime (a new session). */
  sessionExp?: number;
  method?: string;
  next?: string;
}

/** A key id that names a secret without revealing anything useful about it. */
export function keyIdFor(secret: string): string {
  return createHash('sha256').update('smriti kid\0').update(secret).digest('base64url').slice(0, 12);
}

export function createTokenKeys(settings: TokenSettings): TokenKeys {
  // KeyObjects are built once: jsonwebtoken is ~40× faster with a KeyObject than with a string.
  const currentKid = keyIdFor(settings.secret);
  const currentKey = createSecretKey(Buffer.from(settings.secret));
  const keysById = new Map<string, KeyObject>([[currentKid, currentKey]]);
  for (const old of settings.previousSecrets) keysById.set(keyIdFor(old), createSecretKey(Buffer.from(old)));
  return { settings, currentKid, currentKey, keysById, verified: new Map() };
}

function lifetimeOf(keys: TokenKeys, typ: TokenType): number {
  if (typ === 'pending') return PENDING_TTL_SECONDS;
  return typ === 'access' ? keys.settings.accessTtlSeconds : keys.settings.refreshTtlSeconds;
}

/**
 * A refresh token's `exp` never passes the session's absolute end, so `exp` may come out at or
 * before `iat` when that end has come: callers check `claims.exp > claims.iat` before using one.
 */
export function signToken(keys: TokenKeys, typ: TokenType, subject: TokenSubject, nowMs: number): SignedToken {
  const iat = Math.floor(nowMs / 1000);
  const claims: TokenClaims = {
    sub: subject.sub,
    sid: subject.sid,
    typ,
    jti: randomUUID(),
    iat,
    exp: iat + lifetimeOf(keys, typ),
    auth_time: subject.authTime ?? iat,
  };
  if (typ === 'refresh') {
    claims.session_exp = subject.sessionExp ?? iat + keys.settings.sessionMaxLifetimeSeconds;
    claims.exp = Math.min(claims.exp, claims.session_exp);
  }
  // The access token says it either way, so a page learns it without checking the refresh token too.
  if (typ === 'access') claims.shared = subject.shared === true;
  else if (subject.shared) claims.shared = true;
  if (typ === 'pending' && subject.method) claims.method = subject.method;
  if (typ === 'pending' && subject.next) claims.next = subject.next;
  const token = jwt.sign({ ...claims, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE }, keys.currentKey, {
    algorithm: ALGORITHM,
    keyid: keys.currentKid,
  });
  return { token, claims };
}

/** Whether `token` is a genuine, current token of type `typ`, and its claims when it is. */
export function checkToken(keys: TokenKeys, typ: TokenType, token: string | undefined, nowMs: number): TokenCheck {
  if (token === undefined || token === '') return { kind: 'missing' };
  if (token.length > MAX_TOKEN_LENGTH) return { kind: 'invalid' };
  const nowSeconds = Math.floor(nowMs / 1000);
  let claims = keys.verified.get(token);
  if (!claims) {
    const checked = verifySignature(keys, typ, token, nowSeconds);
    if (checked.kind !== 'valid') return checked;
    claims = Object.freeze(checked.claims);
    // A refresh token is spent on first use: caching it would only push access tokens out.
    if (typ === 'access') remember(keys, token, claims);
  }
  // Checked on every use, cached or not: the type, expiry (with leeway) and an iat not from the future.
  const leeway = keys.settings.leewaySeconds;
  if (claims.typ !== typ) return { kind: 'invalid' };
  if (nowSeconds >= claims.exp + leeway) return { kind: 'expired' };
  // jsonwebtoken does not check iat; a token from the future means a forged token or a skewed clock.
  if (claims.iat > nowSeconds + leeway) return { kind: 'invalid' };
  return { kind: 'valid', claims };
}

function remember(keys: TokenKeys, token: string, claims: TokenClaims): void {
  if (keys.verified.size >= VERIFIED_CACHE_SIZE) keys.verified.delete(keys.verified.keys().next().value!);
  keys.verified.set(token, claims);
}

function verifySignature(keys: TokenKeys, typ: TokenType, token: string, nowSeconds: number): TokenCheck {
  let decoded: jwt.Jwt | null;
  try {
    // With "typ":"JWT" in the header, decode parses the payload too and throws on junk.
    decoded = jwt.decode(token, { complete: true });
  } catch {
    return { kind: 'invalid' };
  }
  const kid = decoded?.header.kid;
  const key = typeof kid === 'string' ? keys.keysById.get(kid) : undefined;
  if (!key) return { kind: 'invalid' };
  let payload: unknown;
  try {
    payload = jwt.verify(token, key, {
      algorithms: [ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      clockTimestamp: nowSeconds,
      clockTolerance: keys.settings.leewaySeconds,
    });
  } catch (error) {
    return { kind: error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid' };
  }
  if (!isWellFormed(payload, typ)) return { kind: 'invalid' };
  // Tokens minted before auth_time existed stay valid, but count as no recent sign-in (step-up asks).
  return { kind: 'valid', claims: { ...payload, auth_time: payload.auth_time ?? 0 } };
}

function isWellFormed(payload: unknown, typ: TokenType): payload is TokenClaims {
  if (!payload || typeof payload !== 'object') return false;
  const p = payload as Record<string, unknown>;
  return (
    p.typ === typ &&
    isUuid(p.sub) &&
    isUuid(p.sid) &&
    isUuid(p.jti) &&
    Number.isSafeInteger(p.iat) &&
    Number.isSafeInteger(p.exp) &&
    (p.auth_time === undefined || Number.isSafeInteger(p.auth_time)) &&
    (p.session_exp === undefined || Number.isSafeInteger(p.session_exp)) &&
    (p.method === undefined || typeof p.method === 'string') &&
    (p.next === undefined || (typeof p.next === 'string' && p.next.length <= 2048)) &&
    (p.shared === undefined || typeof p.shared === 'boolean')
  );
}
