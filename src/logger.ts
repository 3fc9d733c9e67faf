// The structured logger. Anything that could carry a credential is redacted at the source.
import pino, { type DestinationStream, type Logger } from 'pino';

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

/** A request URL fit for the log: secrets in the query (a password-reset link's token) are redacted. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
