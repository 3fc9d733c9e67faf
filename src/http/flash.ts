// One-time messages for the next page ("Your password was changed."): connect-flash, on a minimal
// session carried in a signed cookie, with no session state on the server. The cookie is Secure
// whenever the auth cookies are, holds only the app's own sentences (never an entry's text), and is
// bound to the browser it was made for: copied into another browser it shows nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import connectFlash from 'connect-flash';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config.js';

export const FLASH_COOKIE = 'smriti_flash';
const MAX_MESSAGES = 5;

type Messages = Record<string, string[]>;

declare global {
  namespace Express {
    interface Request {
      /** Queues a message for the next page (answers how many are queued), or takes the queued ones. */
      flash(type: string, message: string): number;
      flash(type: string): string[];
      /** The minimal session connect-flash keeps its messages in, read from and written to the flash cookie. */
      session?: { flash?: Messages };
    }
  }
}

function sign(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** What the flash is bound to: the browser's device cookie (sent, or being set now), keyed so the cookie does not reveal it. */
function bindingOf(key: string, bindTo: string, req: Request, res: Response): string {
  const setNow = ([res.getHeader('Set-Cookie') ?? []].flat() as string[])
    .map(String)
    .find((line) => line.startsWith(`${bindTo}=`) && !/^[^=]+=;/.test(line));
  const device = setNow ? decodeURIComponent(setNow.slice(bindTo.length + 1).split(';')[0]!) : req.cookies?.[bindTo];
  return sign(key, `flash bound to ${typeof device === 'string' ? device : ''}`).slice(0, 22);
}

/** The messages of a genuine cookie made for this browser; anything else reads as none. */
function readMessages(key: string, raw: unknown, binding: string): Messages {
  if (typeof raw !== 'string' || raw.length > 4096) return {};
  const [payload = '', signature = ''] = raw.split('.');
  const expected = Buffer.from(sign(key, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return {};
  try {
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { b?: unknown; f?: unknown };
    if (parsed?.b !== binding || !parsed.f || typeof parsed.f !== 'object' || Array.isArray(parsed.f)) return {};
    const messages: Messages = {};
    for (const [type, list] of Object.entries(parsed.f)) {
      if (Array.isArray(list)) messages[type] = list.filter((m): m is string => typeof m === 'string').slice(0, MAX_MESSAGES);
    }
    return messages;
  } catch {
    return {};
  }
}

function writeMessages(res: Response, config: Config, messages: Messages, binding: string, hadCookie: boolean): void {
  // Secure follows the auth cookies' setting, not how this request arrived: behind a proxy that
  // terminates TLS without TRUST_PROXY the request looks like plain HTTP, and the browser still speaks HTTPS.
  const options = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: config.cookies.secure };
  const kept = Object.fromEntries(
    Object.entries(messages)
      .filter(([, list]) => list.length > 0)
      .map(([t, l]) => [t, l.slice(0, MAX_MESSAGES)]),
  );
  if (Object.keys(kept).length === 0) {
    if (hadCookie) res.clearCookie(FLASH_COOKIE, options);
    return;
  }
  const payload = Buffer.from(JSON.stringify({ b: binding, f: kept })).toString('base64url');
  res.cookie(FLASH_COOKIE, `${payload}.${sign(config.flashCookieKey, payload)}`, options);
}

/**
 * After cookie-parser: gives every page request `req.flash` (connect-flash). The cookie is read
 * only when a request asks for its messages or adds one, and written once, as the response's headers
 * go out, only if the messages changed. `bindTo` names the cookie that identifies a browser.
 */
export function flashMessages(config: Config, bindTo: string): RequestHandler {
  const flash = connectFlash({ unsafe: true });
  return (req, res, next) => {
    const hadCookie = typeof req.cookies?.[FLASH_COOKIE] === 'string';
    let before = '';
    let loaded = false;
    const load = () => {
      if (loaded) return;
      loaded = true;
      const messages = hadCookie
        ? readMessages(config.flashCookieKey, req.cookies[FLASH_COOKIE], bindingOf(config.flashCookieKey, bindTo, req, res))
        : {};
      before = JSON.stringify(messages);
      req.session = { flash: messages };
    };
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const now = req.session?.flash ?? {};
      if (loaded && JSON.stringify(now) !== before)
        writeMessages(res, config, now, bindingOf(config.flashCookieKey, bindTo, req, res), hadCookie);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    flash(req, res, () => {
      const connectFlashOwn = req.flash.bind(req) as (type: string, message?: string) => number | string[];
      req.flash = ((type: string, message?: string) => {
        load();
        return message === undefined ? connectFlashOwn(type) : connectFlashOwn(type, message);
      }) as Request['flash'];
      next();
    });
  };
}

/** The queued info messages, read without touching the flash cookie when there are none. */
export function takeFlash(req: Request): string[] {
  const pending = req.session !== undefined || req.cookies?.[FLASH_COOKIE] !== undefined;
  return typeof req.flash === 'function' && pending ? req.flash('info') : [];
}
