// Facts about the request's client as people know them: its address, a name for its device, and the
// audit event a request records. Below every feature; never trusted for security decisions.
import Bowser from 'bowser';
import type { Request } from 'express';
import type { AuditEvent } from './audit.js';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export function clientInfo(req: Request): ClientInfo {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

/** An audit event of this request: what happened to whom, from the client's address, at `now`. */
export function auditEvent(clock: { now: () => number }, req: Request, event: Omit<AuditEvent, 'at' | 'ip' | 'userAgent'>): AuditEvent {
  return { ...event, ...clientInfo(req), at: new Date(clock.now()) };
}

// An address as people know it: IPv4 clients reach a dual-stack socket as "::ffff:203.0.113.5".
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function displayIp(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}

// Headers can be kilobytes long; the name needs only the start, and the parser's regexes stay cheap.
const MAX_PARSED = 512;
// Programs that are not browsers ("curl/8.5.0", "python-requests/2.32") name themselves first.
const PROGRAM = /^([A-Za-z][\w.-]{0,39})\/\d/;

function programName(userAgent: string): string | undefined {
  const name = PROGRAM.exec(userAgent)?.[1];
  return name && name !== 'Mozilla' ? name : undefined;
}

/** A short, human name for a browser from its User-Agent ("Chrome on macOS"), by bowser. */
export function describeDevice(userAgent: string | null): string {
  const agent = userAgent?.trim().slice(0, MAX_PARSED);
  if (!agent) return 'Unknown device';
  const { browser, os } = Bowser.getParser(agent).getResult();
  if (browser.name && os.name) return `${browser.name} on ${os.name}`;
  return browser.name || os.name || programName(agent) || 'Unknown device';
}
