// What narrows a search besides its words: a span of days, a tag, a star, and CJK words left out.
import type { Request } from 'express';
import { AppError } from '../http/errors.js';
import { dayParam, starredParam } from './route-helpers.js';
import { tagParam } from './tags.js';

export interface SearchFilter {
  /** First and last day (YYYY-MM-DD), both included. */
  from?: string;
  to?: string;
  tag?: string;
  starred?: boolean;
}

/** ?from=, ?to=, ?tag= and ?starred=1 of a search; a malformed one is a 400 with a sentence. */
export function searchFilter(req: Request): SearchFilter {
  const filter: SearchFilter = {};
  const from = dayParam(req.query.from, 'from');
  const to = dayParam(req.query.to, 'to');
  if (from) filter.from = from;
  if (to) filter.to = to;
  if (from && to && from > to)
    throw new AppError(400, 'to_invalid', 'The last day comes before the first; swap them.', { to: 'After from.' });
  const { tag } = req.query;
  if (tag !== undefined && tag !== '') {
    filter.tag = tagParam(tag);
    if (!filter.tag) throw new AppError(400, 'tag_invalid', 'A tag is one word of letters, digits, - or _.', { tag: 'One word.' });
  }
  if (starredParam(req.query.starred)) filter.starred = true;
  return filter;
}

/**
 * The filters as " AND …" clauses of a WHERE on entries, their parameters numbered from `first`.
 * A CJK word left out is checked in the text, as a CJK word found is.
 */
export function whereFiltered(filter: SearchFilter, excludedCjk: readonly string[], first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const next = (value: unknown) => {
    params.push(value);
    return `$${first + params.length - 1}`;
  };
  let sql = '';
  if (filter.from) sql += ` AND entry_date >= ${next(filter.from)}::date`;
  if (filter.to) sql += ` AND entry_date <= ${next(filter.to)}::date`;
  if (filter.tag) sql += ` AND tags @> ${next([filter.tag])}::text[]`;
  if (filter.starred) sql += ' AND starred';
  if (excludedCjk.length > 0)
    sql += ` AND NOT EXISTS (SELECT 1 FROM unnest(${next(excludedCjk)}::text[]) AS x(word) WHERE strpos(title || E'\\n' || body, x.word) > 0)`;
  return { sql, params };
}
