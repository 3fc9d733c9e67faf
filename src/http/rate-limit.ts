// Request rate limits (express-rate-limit) on sign-in, registration, refresh and password resets; 429 with Retry-After.
// Sign-in and registration count in PostgreSQL (rate-limit-postgres.ts); refresh counts per process.
import type { Request, RequestHandler } from 'express';
import { type IncrementResponse, ipKeyGenerator, type Options, rateLimit, type Store } from 'express-rate-limit';
import { AppError } from './errors.js';

export interface Limit {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitSettings {
  loginPerIp: Limit;
  loginPerEmail: Limit;
  registerPerIp: Limit;
  refreshPerIp: Limit;
  forgotPerIp: Limit;
  /** Password-reset requests per address; also the cap on reset emails, counted in the database. */
  forgotPerEmail: Limit;
  /** Failed sign-ins per account, counted in the database so every app process sees them. */
  failedSignInsPerAccount: Limit;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  loginPerIp: { limit: 30, windowSeconds: 15 * 60 },
  loginPerEmail: { limit: 10, windowSeconds: 15 * 60 },
  registerPerIp: { limit: 10, windowSeconds: 60 * 60 },
  refreshPerIp: { limit: 120, windowSeconds: 60 },
  forgotPerIp: { limit: 30, windowSeconds: 60 * 60 },
  forgotPerEmail: { limit: 10, windowSeconds: 60 * 60 },
  failedSignInsPerAccount: { limit: 10, windowSeconds: 15 * 60 },
};

/**
 * express-rate-limit's MemoryStore reads the wall clock; this fixed-window store reads the app's
 * injected clock instead, so tests can show a limit resetting without waiting.
 */
class ClockedMemoryStore implements Store {
  readonly localKeys = true;
  private windowMs = 60_000;
  private readonly counters = new Map<string, IncrementResponse>();
  private lastSweep = 0;
  constructor(private readonly now: () => number) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  get(key: string) {
    const entry = this.counters.get(key);
    return entry && entry.resetTime!.getTime() > this.now() ? entry : undefined;
  }

  increment(key: string): IncrementResponse {
    const now = this.now();
    let entry = this.get(key);
    if (!entry) {
      // Expired counters are dropped at most once a window, so a crowd of clients costs no rescans.
      if (this.counters.size > 10_000 && now - this.lastSweep > this.windowMs) this.sweep(now);
      entry = { totalHits: 0, resetTime: new Date(now + this.windowMs) };
      this.counters.set(key, entry);
    }
    entry.totalHits += 1;
    return entry;
  }

  decrement(key: string): void {
    const entry = this.get(key);
    if (entry && entry.totalHits > 0) entry.totalHits -= 1;
  }

  resetKey(key: string): void {
    this.counters.delete(key);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, entry] of this.counters) if (entry.resetTime!.getTime() <= now) this.counters.delete(key);
  }
}

export function retryAfterSeconds(resetTime: Date | undefined, now: number): number {
  return resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - now) / 1000)) : 60;
}

export function waitPhrase(seconds: number): string {
  return seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

type KeyGenerator = (req: Request) => string;

export interface LimiterOptions {
  /** Where hits are counted; by default in this process's memory. */
  store?: Store;
  /** What a client is; by default its IP address (an IPv6 /56). */
  key?: KeyGenerator;
  /** Called for each request refused with 429 (metrics). */
  onLimited?: () => void;
}

/** `keyOrOptions`: a key generator alone, or the options. */
export function limiter(limit: Limit, now: () => number, what: string, options: LimiterOptions = {}): RequestHandler {
  return rateLimit({
    windowMs: limit.windowSeconds * 1000,
    limit: limit.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: options.store ?? new ClockedMemoryStore(now),
    ...(options.key ? { keyGenerator: options.key } : {}),
    handler: (req, res, next) => {
      options.onLimited?.();
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const seconds = retryAfterSeconds(info?.resetTime, now());
      res.set('Retry-After', String(seconds));
      next(new AppError(429, 'rate_limited', `Too many ${what} from here. Please wait ${waitPhrase(seconds)} and try again.`));
    },
  });
}

/** Keys by the email being signed in to (normalised), or by IP when there is none. */
export function emailKey(req: Request): string {
  const email = (req.body as Record<string, unknown> | undefined)?.email;
  return typeof email === 'string' && email.trim() ? `email:${email.trim().toLowerCase()}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
}
