// Builds the real app with test config, a fake clock and captured logs; a cookie-keeping client.
import { Writable } from 'node:stream';
import type { Express } from 'express';
import request, { type Response, type Test } from 'supertest';
import { afterAll, beforeAll, expect } from 'vitest';
import { type AppDeps, createApp } from '../../src/app.js';
import { createRevokedSessions, listenForRevocations, type RevokedSessions } from '../../src/auth/revocations.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import type { RateLimitSettings } from '../../src/http/rate-limit.js';
import { createLogger } from '../../src/logger.js';
import { CookieJar } from './cookie-jar.js';
import { createTestDb } from './db.js';

export const TEST_ORIGIN = 'http://smriti.test';
export const TEST_PASSWORD = 'correct horse battery';
/** The tests' own signing secret: fixed, so a test can forge or re-sign tokens on purpose. */
export const TEST_JWT_SECRET = 'smriti-test-secret-known-to-every-test-file';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', BCRYPT_ROUNDS: '4', APP_ORIGIN: TEST_ORIGIN, JWT_SECRET: TEST_JWT_SECRET, ...env });
}

/** A clock that moves only when told to. Starts at the real time so cookie Expires stay sane. */
export function fakeClock(start = Date.now()) {
  let current = start;
  return {
    now: () => current,
    advance(seconds: number) {
      current += seconds * 1000;
    },
  };
}
export type FakeClock = ReturnType<typeof fakeClock>;

export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: Express;
  config: Config;
  clock: FakeClock;
  logs: LogCapture;
  db: Db;
  revokedSessions: RevokedSessions;
  /** Starts hearing revocations as a server process does; returns the function that stops it. */
  listen(): Promise<() => Promise<void>>;
}

const UNLIMITED = { limit: 1_000_000, windowSeconds: 60 };
/** Most tests sign in far more often than a person would; rate-limit tests pass their own limits. */
export const NO_RATE_LIMITS: RateLimitSettings = {
  loginPerIp: UNLIMITED,
  loginPerEmail: UNLIMITED,
  registerPerIp: UNLIMITED,
  refreshPerIp: UNLIMITED,
  forgotPerIp: UNLIMITED,
  forgotPerEmail: UNLIMITED,
  failedSignInsPerAccount: UNLIMITED,
};

export function buildTestApp(
  db: Db,
  env: Record<string, string> = {},
  clock = fakeClock(),
  rateLimits: Partial<RateLimitSettings> = {},
  deps: Pick<AppDeps, 'passwordQueue' | 'userCache' | 'signInMethods'> = {},
): TestApp {
  const config = testConfig(env);
  const logs = new LogCapture();
  const logger = createLogger('info', logs);
  const revokedSessions = createRevokedSessions(config.jwt, clock.now);
  const app = createApp(config, { ...deps, db, logger, now: clock.now, revokedSessions, rateLimits: { ...NO_RATE_LIMITS, ...rateLimits } });
  return { app, config, clock, logs, db, revokedSessions, listen: () => listenForRevocations(db, revokedSessions, logger) };
}

/**
 * Acts like one browser: keeps cookies and sends a same-origin Origin on unsafe requests, and any
 * `headers` (a User-Agent, say) on every request. `app` may be a URL, for a server already listening.
 */
export class Browser {
  readonly jar = new CookieJar();
  constructor(
    private readonly app: Express | string,
    private readonly origin = TEST_ORIGIN,
    readonly headers: Record<string, string> = {},
  ) {}

  private async send(test: Test): Promise<Response> {
    const res = await test;
    this.jar.update(res);
    return res;
  }

  private prepare(test: Test, unsafe: boolean): Test {
    test.set(this.headers);
    const cookie = this.jar.header();
    if (cookie) test.set('Cookie', cookie);
    if (unsafe) test.set('Origin', this.origin);
    return test;
  }

  get(path: string): Promise<Response> {
    return this.send(this.prepare(request(this.app).get(path), false));
  }

  post(path: string, form?: Record<string, string>): Promise<Response> {
    const test = this.prepare(request(this.app).post(path), true).type('form');
    return this.send(form ? test.send(form) : test);
  }

  /** A form post with repeated fields (checkboxes of one name), in the order given. */
  postFields(path: string, fields: Array<[string, string]>): Promise<Response> {
    const test = this.prepare(request(this.app).post(path), true).type('form');
    return this.send(test.send(new URLSearchParams(fields).toString()));
  }

  /** A multipart form post with one file in `field`, as a file input sends it. */
  upload(path: string, field: string, content: Buffer | string, filename = 'smriti-export.json'): Promise<Response> {
    const test = this.prepare(request(this.app).post(path), true);
    return this.send(test.attach(field, Buffer.from(content), filename));
  }

  json(method: 'post' | 'put' | 'delete' | 'get', path: string, body?: unknown): Promise<Response> {
    const test = this.prepare(request(this.app)[method](path), method !== 'get');
    return this.send(body === undefined ? test : test.send(body as object));
  }
}

let counter = 0;
export function uniqueEmail(prefix = 'writer'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${counter}.${Date.now()}@example.com`;
}

/** Registers a user through the real form and returns a browser signed in as them. */
export async function signedInBrowser(app: Express, email = uniqueEmail()): Promise<{ browser: Browser; email: string }> {
  const browser = new Browser(app);
  const res = await browser.post('/register', { email, password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
  if (res.status !== 303) throw new Error(`registration failed: ${res.status} ${res.text.slice(0, 200)}`);
  return { browser, email };
}

/** For a test file: a fresh database and the app on it, built before the tests and closed after. */
export function useTestApp(env: Record<string, string> = {}): { readonly db: Db; readonly t: TestApp } {
  const state = {} as { db: Db; t: TestApp };
  let stopListening: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    state.db = await createTestDb();
    state.t = buildTestApp(state.db, env);
    stopListening = await state.t.listen();
  });
  afterAll(async () => {
    await stopListening?.();
    await state.db?.close();
  });
  return state;
}

/** Writes an entry through the JSON API as `browser` and answers its id. */
export async function writeEntry(browser: Browser, title: string, body: string): Promise<string> {
  const res = await browser.json('post', '/api/entries', { title, body });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
