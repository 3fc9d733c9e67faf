// What the journal's pages and its JSON API read from a request the same way.
import type { Request } from 'express';
import { AppError } from '../http/errors.js';
import { isDay, type ListFilter } from './entries.js';
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

/** ?starred=1 (or true); 0, false or nothing lists every entry. */
export function starredParam(value: unknown): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new AppError(400, 'starred_invalid', 'Write starred=1 to list starred entries only.', { starred: '1 or 0.' });
}

/** A day named in a URL (?day=, ?from=, ?to=): YYYY-MM-DD, else a 400 naming the parameter. */
export function dayParam(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && isDay(value)) return value;
  throw new AppError(400, `${name}_invalid`, `The ${name} must be a day written YYYY-MM-DD, such as 2025-03-05.`, { [name]: 'YYYY-MM-DD' });
}

/** ?month=YYYY-MM, ?day=YYYY-MM-DD, ?tag=word and ?starred=1; a malformed one is a 400 with a sentence. */
export function listFilter(req: Request): ListFilter {
  const filter: ListFilter = {};
  const { month, tag } = req.query;
  const day = dayParam(req.query.day, 'day');
  if (day) filter.day = day;
  if (starredParam(req.query.starred)) filter.starred = true;
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
