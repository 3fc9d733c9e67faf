// What the journal's pages and its JSON API read from a request the same way.
import type { Request } from 'express';
import { AppError } from '../http/errors.js';
import type { ListFilter } from './entries.js';
import { tagParam } from './tags.js';
import { monthParam } from './timeline.js';
import type { ExpectedVersion } from './versions.js';

export const NOT_FOUND = 'There is no such entry in your journal.';
export const CONFLICT = 'This entry was changed in another tab or device since you opened it; nothing was overwritten.';

export function pageNumber(req: Request): number {
  const raw = req.query.page;
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,5}$/.test(raw))
    throw new AppError(400, 'page_invalid', 'The page number must be a whole number from 1.');
  return Number(raw);
}

/** ?month=YYYY-MM and ?tag=word; a malformed one is a 400 with a sentence. */
export function listFilter(req: Request): ListFilter {
  const filter: ListFilter = {};
  const { month, tag } = req.query;
  if (month !== undefined && month !== '') {
    filter.month = monthParam(month);
    if (!filter.month)
      throw new AppError(400, 'month_invalid', 'The month must be written YYYY-MM, such as 2025-03.', { month: 'YYYY-MM' });
  }
  if (tag !== undefined && tag !== '') {
    filter.tag = tagParam(tag);
    if (!filter.tag) throw new AppError(400, 'tag_invalid', 'A tag is one word of letters, digits, - or _.', { tag: 'One word.' });
  }
  return filter;
}

/** The version a save was made from, or the 400/412 that refuses it before anything is written. */
export function versionOrThrow(expected: ExpectedVersion): number | undefined {
  if (expected.kind === 'invalid') throw new AppError(400, 'version_invalid', expected.message, { version: expected.message });
  if (expected.kind === 'never') throw new AppError(412, 'precondition_failed', expected.message);
  return expected.kind === 'version' ? expected.version : undefined;
}
