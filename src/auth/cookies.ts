// Sets and clears the two token cookies; every flag comes from config.
import type { CookieOptions, Response } from 'express';
import type { Config } from '../config.js';
import type { SignedToken } from './tokens.js';

export const ACCESS_COOKIE = 'smriti_access_token';
export const REFRESH_COOKIE = 'smriti_refresh_token';

export interface TokenPair {
  access: SignedToken;
  refresh: SignedToken;
}

function baseOptions(config: Config): CookieOptions {
  const options: CookieOptions = {
    httpOnly: true,
    secure: config.cookies.secure,
    sameSite: config.cookies.sameSite,
    path: config.cookies.path,
  };
  if (config.cookies.domain) options.domain = config.cookies.domain;
  return options;
}

/**
 * Max-Age is the token's own lifetime (`exp − iat`: shorter than configured only near the session's
 * absolute end), so the cookie and the token lapse together. `shared` (a shared computer) makes
 * them browser-session cookies instead.
 */
export function setAuthCookies(res: Response, config: Config, pair: TokenPair, shared: boolean): void {
  const base = baseOptions(config);
  // Express's maxAge is in milliseconds and writes Max-Age as whole seconds.
  const lifetime = ({ claims }: SignedToken): CookieOptions => (shared ? base : { ...base, maxAge: (claims.exp - claims.iat) * 1000 });
  res.cookie(ACCESS_COOKIE, pair.access.token, lifetime(pair.access));
  res.cookie(REFRESH_COOKIE, pair.refresh.token, lifetime(pair.refresh));
}

/** Clears both with the Path and Domain they were set with, or the browser keeps them. */
export function clearAuthCookies(res: Response, config: Config): void {
  const base = baseOptions(config);
  res.clearCookie(ACCESS_COOKIE, base);
  res.clearCookie(REFRESH_COOKIE, base);
}

export function readCookie(cookies: unknown, name: string): string | undefined {
  const value = (cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}
