// The structured logger. Anything that could carry a credential is redacted at the source.
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogFormat } from './config.js';

const SECRET_FIELDS = [
  'password',
  'current_password',
  'new_password',
  'new_password_confirm',
  'password_confirm',
  'token',
  'refreshToken',
  'accessToken',
];

export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];

function baseOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(baseOptions(level), destination);
}

/**
 * The logger of a server process: JSON lines on stdout, or, for a person at a development terminal,
 * pino-pretty in pino's transport thread. pino-pretty is a development dependency, so it is only
 * loaded here, and config refuses `pretty` in production.
 */
export function createProcessLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return createLogger(level);
  if (!isInstalled('pino-pretty')) {
    const logger = createLogger(level);
    logger.warn('LOG_FORMAT=pretty needs pino-pretty (npm install --include=dev); logging JSON instead');
    return logger;
  }
  return pino({
    ...baseOptions(level),
    transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname' } },
  });
}

function isInstalled(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** A request URL fit for the log: secrets in the query (a password-reset link's token) are redacted. */
export function redactUrl(url: string): string {
  // token: reset and email links; code and state: the OpenID Connect callback (an authorization code);
  // q and tag: words of the journal (a sealed journal's tags exist nowhere else on the server, DESIGN §16).
  return url.replace(/([?&](?:token|code|state|q|tag)=)[^&#]*/gi, '$1[redacted]');
}
