// One error type for expected failures, and the one middleware that answers every error.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, isStatementTimeout, STATEMENT_TIMEOUTS } from '../db/db.js';

export type FieldErrors = Record<string, string>;

/** An expected failure: its status, a stable code for scripts and a sentence for people. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
  }
}

/** Routes whose callers read JSON, never HTML. */
/** JSON for the API and /refresh, and for a script that asks for JSON rather than a page. */
export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/') || req.path === '/refresh') return true;
  return Boolean(req.headers.accept?.includes('json')) && req.accepts(['html', 'json']) === 'json';
}

// body-parser reports its failures with a `type`; these are the caller's fault, with plain words.
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'body_malformed', message: 'The request body is not valid JSON.' },
  'encoding.unsupported': { status: 415, code: 'encoding_unsupported', message: 'The request body uses an unsupported encoding.' },
  'charset.unsupported': { status: 415, code: 'charset_unsupported', message: 'The request body uses an unsupported character set.' },
  'parameters.too.many': { status: 413, code: 'body_too_large', message: 'The form has too many fields.' },
};

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError(
      503,
      'unavailable',
      'Smriti cannot reach its database right now. Nothing was changed; please try again in a moment.',
    );
  }
  if (isStatementTimeout(error)) {
    return new AppError(
      503,
      'timeout',
      `This took longer than ${STATEMENT_TIMEOUTS.request / 1000} seconds, so Smriti stopped it and nothing was changed. Please try again in a moment; a search with more words finishes sooner.`,
    );
  }
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') {
    // Most routes take 1 MB; a few take more (a sealing batch): the sentence names the route's own limit.
    const limit = (error as { limit?: unknown }).limit;
    const mb = typeof limit === 'number' && limit > 0 ? Math.max(1, Math.round(limit / (1024 * 1024))) : 1;
    return new AppError(413, 'body_too_large', `The request body is larger than the ${mb} MB limit.`);
  }
  const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (known) return new AppError(known.status, known.code, known.message);
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'bad_request', 'The request could not be understood.');
  }
  return undefined;
}

export function notFound(): RequestHandler {
  return (_req, _res, next) => next(new AppError(404, 'not_found', 'There is nothing at this address.'));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let appError = toAppError(error);
    if (!appError) {
      logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error');
      appError = new AppError(500, 'internal', 'Something went wrong on our side. Your request was not completed; please try again.');
    }
    if (res.headersSent) return res.end();
    res.status(appError.status);
    if (appError.status === 429 || appError.status === 503) res.set('Retry-After', res.get('Retry-After') ?? '5');
    if (wantsJson(req)) {
      const body: Record<string, unknown> = { error: appError.code, message: appError.message };
      if (appError.fields) body.fields = appError.fields;
      return res.json(body);
    }
    res.render('errors/error', { title: titleFor(appError.status), message: appError.message }, (renderError, html) => {
      if (renderError) {
        logger.error({ err: renderError }, 'error page failed to render');
        return res.type('text/plain').send(appError.message);
      }
      res.send(html);
    });
  };
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 403) return 'Not allowed';
  if (status === 413) return 'Too large';
  if (status === 429) return 'Too many requests';
  if (status === 503) return 'Temporarily unavailable';
  if (status >= 500) return 'Something went wrong';
  return 'Request not understood';
}
