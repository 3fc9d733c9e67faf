// Signs and verifies access and refresh JWTs. Knows neither Express nor the database.
import { createHash, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';

export type TokenType = 'access' | 'refresh';

export const TOKEN_ISSUER = 'smriti';
export const TOKEN_AUDIENCE = 'smriti';
// Pinned: never let the token's own header choose the algorithm (alg "none", RS/HS confusion).
const ALGORITHM = 'HS256';
// Far larger than any token we mint; refuse before parsing anything bigger.
const MAX_TOKEN_LENGTH = 4096;
// Tokens already verified, by their exact text (signature included), so a browser's repeated
// access token costs a map lookup instead of two decodes and an HMAC. Bounded; oldest dropped first.
const VERIFIED_CACHE_SIZE = 10_000;

export interface TokenClaims {
  sub: string;
  sid: string;
  typ: TokenType;
  jti: string;
  iat: number;
  exp: number;
  /** Refresh tokens only: signed in with "This is a shared computer" (browser-session cookies). */
  shared?: boolean;
}

export type TokenFailure = 'missing' | 'expired' | 'invalid';

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(readonly reason: TokenFailure) {
    super(`token ${reason}`);
  }
}

export interface TokenSettings {
  secret: string;
  previousSecrets: readonly string[];
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  leewaySeconds: number;
}

export interface SignedToken {
  token: string;
  claims: TokenClaims;
}

export interface TokenService {
  sign(typ: TokenType, subject: { sub: string; sid: string; shared?: boolean }): SignedToken;
  verify(typ: TokenType, token: string | undefined): TokenClaims;
  ttlSeconds(typ: TokenType): number;
}

/** A key id that names a secret without revealing anything useful about it. */
export function keyIdFor(secret: string): string {
  return createHash('sha256').update('smriti kid\0').update(secret).digest('base64url').slice(0, 12);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isWellFormed(payload: unknown, typ: TokenType): payload is TokenClaims {
  if (!payload || typeof payload !== 'object') return false;
  const p = payload as Record<string, unknown>;
  return (
    p.typ === typ &&
    typeof p.sub === 'string' &&
    UUID.test(p.sub) &&
    typeof p.sid === 'string' &&
    UUID.test(p.sid) &&
    typeof p.jti === 'string' &&
    UUID.test(p.jti) &&
    Number.isSafeInteger(p.iat) &&
    Number.isSafeInteger(p.exp) &&
    (p.shared === undefined || typeof p.shared === 'boolean')
  );
}

export function createTokenService(settings: TokenSettings, now: () => number): TokenService {
  // Key material is prepared once: jsonwebtoken is ~40× faster with a KeyObject than a string.
  const current = { kid: keyIdFor(settings.secret), key: createSecretKey(Buffer.from(settings.secret)) };
  const keysById = new Map<string, KeyObject>([[current.kid, current.key]]);
  for (const old of settings.previousSecrets) keysById.set(keyIdFor(old), createSecretKey(Buffer.from(old)));

  const ttlSeconds = (typ: TokenType) => (typ === 'access' ? settings.accessTtlSeconds : settings.refreshTtlSeconds);

  function sign(typ: TokenType, subject: { sub: string; sid: string; shared?: boolean }): SignedToken {
    const iat = Math.floor(now() / 1000);
    const claims: TokenClaims = { sub: subject.sub, sid: subject.sid, typ, jti: randomUUID(), iat, exp: iat + ttlSeconds(typ) };
    if (typ === 'refresh' && subject.shared) claims.shared = true;
    const token = jwt.sign({ ...claims, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE }, current.key, {
      algorithm: ALGORITHM,
      keyid: current.kid,
    });
    return { token, claims };
  }

  const verified = new Map<string, TokenClaims>();

  function remember(token: string, claims: TokenClaims): void {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  }

  function verify(typ: TokenType, token: string | undefined): TokenClaims {
    if (token === undefined || token === '') throw new TokenError('missing');
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('invalid');
    const known = verified.get(token);
    if (known) {
      const nowSeconds = Math.floor(now() / 1000);
      if (known.typ !== typ) throw new TokenError('invalid');
      // Same rules as a full check: expiry (with leeway) and an iat not from the future.
      if (nowSeconds >= known.exp + settings.leewaySeconds) throw new TokenError('expired');
      if (known.iat > nowSeconds + settings.leewaySeconds) throw new TokenError('invalid');
      return known;
    }
    const claims = Object.freeze(verifySignedToken(typ, token));
    remember(token, claims);
    return claims;
  }

  function verifySignedToken(typ: TokenType, token: string): TokenClaims {
    let decoded: jwt.Jwt | null;
    try {
      // With "typ":"JWT" in the header, decode parses the payload too and throws on junk.
      decoded = jwt.decode(token, { complete: true });
    } catch {
      throw new TokenError('invalid');
    }
    const kid = decoded?.header.kid;
    const key = typeof kid === 'string' ? keysById.get(kid) : undefined;
    if (!key) throw new TokenError('invalid');
    const nowSeconds = Math.floor(now() / 1000);
    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        clockTimestamp: nowSeconds,
        clockTolerance: settings.leewaySeconds,
      });
    } catch (error) {
      throw new TokenError(error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid');
    }
    if (!isWellFormed(payload, typ)) throw new TokenError('invalid');
    // jsonwebtoken does not check iat; a token from the future means a forged or skewed clock.
    if (payload.iat > nowSeconds + settings.leewaySeconds) throw new TokenError('invalid');
    return payload;
  }

  return { sign, verify, ttlSeconds };
}
