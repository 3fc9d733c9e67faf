// Sets and clears the two token cookies; every flag comes from config.
import type { CookieOptions, Response } from 'express';
import type { Config } from '../config.js';

export const ACCESS_COOKIE = 'smriti_access_token';
export const REFRESH_COOKIE = 'smriti_refresh_token';

export interface TokenPair {
  access: string;
  refresh: string;
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
 * Max-Age is the token lifetime, so the cookie and the token lapse together.
 * `shared` (a shared computer) makes them browser-session cookies instead.
 */
export function setAuthCookies(res: Response, config: Config, pair: TokenPair, shared: boolean): void {
  const base = baseOptions(config);
  // Express's maxAge is in milliseconds and writes Max-Age as whole seconds.
  const lifetime = (seconds: number): CookieOptions => (shared ? base : { ...base, maxAge: seconds * 1000 });
  res.cookie(ACCESS_COOKIE, pair.access, lifetime(config.jwt.accessTtlSeconds));
  res.cookie(REFRESH_COOKIE, pair.refresh, lifetime(config.jwt.refreshTtlSeconds));
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
