// Real Chromium (Debian's) against the real app on a loopback port, with a fake server clock.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AxeResults, ElementContext } from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { listen, stopGracefully } from '../../src/lifecycle.js';
import { buildTestApp, fakeClock, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM_PATH);
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

if (!chromiumAvailable) {
  const message = `Browser tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`;
  // CI must prove the browser behaviour; a developer without Chromium is told plainly what was not run.
  if (process.env.CI) throw new Error(message);
  console.warn(`\n*** ${message} The browser tests are SKIPPED in this run. ***\n`);
}

export interface ChromiumOptions {
  /**
   * Keep Chromium's back-forward cache on, as in a person's browser. Playwright turns it off by
   * default (so that goBack always reaches the network), which would hide what it restores.
   */
  backForwardCache?: boolean;
}

/**
 * Cleanup that may not hang a file: a browser context with a WebAuthn request still pending has
 * been seen to block Chromium's close for over a minute. A step that takes longer than `seconds`
 * is left behind with a warning (the process is ending anyway).
 */
export async function closeWithin(what: string, closing: Promise<unknown> | undefined, seconds = 10): Promise<void> {
  if (!closing) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), seconds * 1000);
  });
  const outcome = await Promise.race([closing.then(() => 'closed' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') console.warn(`closing ${what} took over ${seconds} s; left to the end of the process`);
}

export function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  // Flags from the machine notes: a closed network makes Chromium's background services noisy.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...(options.backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export class TestServer {
  private server: Server | undefined;
  private constructor(
    readonly t: TestApp,
    readonly db: Db,
    private port: number,
  ) {}

  /** `port` 0 picks a free one; a test that must name its origin in APP_ORIGIN first takes one from freePort(). */
  static async start(env: Record<string, string> = {}, port = 0): Promise<TestServer> {
    const db = await createTestDb();
    const t = buildTestApp(db, env, fakeClock());
    const instance = new TestServer(t, db, port);
    await instance.resume();
    return instance;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening (the database stays up), as if the server process had gone away. */
  async pause(): Promise<void> {
    if (this.server) await stopGracefully(this.server, async () => {}, 2000);
    this.server = undefined;
  }

  async resume(): Promise<void> {
    this.server = await listen(this.t.app, this.port, '127.0.0.1');
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    await this.pause();
    await this.db.close();
  }
}

/** A loopback port nobody is listening on right now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects requests by path so tests can count refreshes. */
export function countRequests(page: Page) {
  const seen: Array<{ method: string; path: string }> = [];
  page.on('request', (request) => seen.push({ method: request.method(), path: new URL(request.url()).pathname }));
  return (method: string, path: string) => seen.filter((r) => r.method === method && r.path === path).length;
}

/** Fails the test on any console error, CSP violations included. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|net::ERR/.test(message.text()))
      errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

export async function waitForSaveState(page: Page, state: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((wanted) => document.querySelector('[data-save-status]')?.getAttribute('data-state') === wanted, state, {
    timeout,
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core (every rule it enables by default) on the page as it stands; one line per violation. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) does not block it.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: ElementContext): Promise<AxeResults> } }).axe;
    const { violations } = await axe.run(document);
    return violations.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** The server settings the browser suites share: a 10-minute access token, a day's refresh token. */
export const BROWSER_TEST_ENV = { ACCESS_TOKEN_EXPIRY_SECONDS: '600', REFRESH_TOKEN_EXPIRY_SECONDS: '86400', JWT_LEEWAY_SECONDS: '5' };

/**
 * For a browser test file: Chromium and the app on a loopback port, started before its tests and
 * closed after them, with every context the file registers in `contexts`.
 */
export function useChromiumAndServer(env: Record<string, string> = BROWSER_TEST_ENV, options: ChromiumOptions = {}) {
  const setup = { contexts: [] as BrowserContext[] } as { chromium: Browser; server: TestServer; contexts: BrowserContext[] };
  beforeAll(async () => {
    setup.chromium = await launchChromium(options);
    setup.server = await TestServer.start(env);
  });
  afterAll(async () => {
    for (const context of setup.contexts.splice(0)) await closeWithin('a browser context', context.close(), 5);
    await closeWithin('Chromium', setup.chromium?.close());
    await closeWithin('the test server', setup.server?.close());
  });
  return setup;
}
