// One-time messages for the next page ("Your password was changed."), carried in a signed cookie:
// no session state on the server. The cookie is Secure whenever the auth cookies are, and holds
// only the app's own sentences, never an entry's text.
import { createHmac, timingSafeEqual } from 'node:crypto';
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
    }
  }
}

const FLASH_STATE = Symbol('flash');
type FlashRequest = Request & { [FLASH_STATE]?: Messages };

function sign(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function readMessages(key: string, raw: unknown): Messages {
  if (typeof raw !== 'string' || raw.length > 4096) return {};
  const [payload = '', signature = ''] = raw.split('.');
  const expected = Buffer.from(sign(key, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const messages: Messages = {};
    for (const [type, list] of Object.entries(parsed)) {
      if (Array.isArray(list)) messages[type] = list.filter((m): m is string => typeof m === 'string').slice(0, MAX_MESSAGES);
    }
    return messages;
  } catch {
    return {};
  }
}

function writeMessages(res: Response, config: Config, messages: Messages, hadCookie: boolean): void {
  // One Set-Cookie for the flash per response, however many times it changed.
  const previous = res.getHeader('Set-Cookie');
  const others = (Array.isArray(previous) ? previous : previous === undefined ? [] : [String(previous)]).filter(
    (line) => !line.startsWith(`${FLASH_COOKIE}=`),
  );
  res.setHeader('Set-Cookie', others);
  // Secure follows the auth cookies' setting, not how this request arrived: behind a proxy that
  // terminates TLS without TRUST_PROXY the request looks like plain HTTP, and the browser still
  // speaks HTTPS.
  const options = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: config.cookies.secure };
  const any = Object.values(messages).some((list) => list.length > 0);
  if (!any) {
    if (hadCookie) res.clearCookie(FLASH_COOKIE, options);
    return;
  }
  const payload = Buffer.from(JSON.stringify(messages)).toString('base64url');
  res.cookie(FLASH_COOKIE, `${payload}.${sign(config.flashCookieKey, payload)}`, options);
}

/** After cookie-parser: gives every page request `req.flash`. */
export function flashMessages(config: Config): RequestHandler {
  return (req, res, next) => {
    const state = req as FlashRequest;
    const hadCookie = typeof req.cookies?.[FLASH_COOKIE] === 'string';
    const messagesNow = (): Messages => {
      state[FLASH_STATE] ??= readMessages(config.flashCookieKey, req.cookies?.[FLASH_COOKIE]);
      return state[FLASH_STATE];
    };
    function flash(type: string, message: string): number;
    function flash(type: string): string[];
    function flash(type: string, message?: string): number | string[] {
      const messages = messagesNow();
      if (message === undefined) {
        const taken = messages[type] ?? [];
        delete messages[type];
        if (taken.length > 0) writeMessages(res, config, messages, hadCookie);
        return taken;
      }
      messages[type] ??= [];
      const list = messages[type];
      if (list.length < MAX_MESSAGES) list.push(message);
      writeMessages(res, config, messages, hadCookie);
      return list.length;
    }
    req.flash = flash;
    next();
  };
}

/** The queued info messages, read without touching the flash cookie when there are none. */
export function takeFlash(req: Request): string[] {
  const pending = (req as FlashRequest)[FLASH_STATE] !== undefined || req.cookies?.[FLASH_COOKIE] !== undefined;
  return typeof req.flash === 'function' && pending ? req.flash('info') : [];
}
