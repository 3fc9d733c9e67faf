// The search page (GET /journal?q=…) and the search API (GET /api/entries?q=…); routes.ts hands them any request with a q.
import type { Request, Response } from 'express';
import { signInState } from '../auth/middleware.js';
import type { Queryable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { PAGE_SIZE, toJson } from './entries.js';
import { parseSearch, plainText, SEARCH_MAX_CANDIDATES, searchEntries } from './search.js';

/** True when the request asks for a search: `q` present and not blank (a blank box lists the journal). */
export function isSearch(req: Request): boolean {
  const { q } = req.query;
  return q !== undefined && !(typeof q === 'string' && q.trim() === '');
}

export async function renderSearchPage(db: Queryable, req: Request, res: Response, page: number): Promise<void> {
  const q = typeof req.query.q === 'string' ? req.query.q : '';
  const parsed = parseSearch(req.query.q);
  const view = { title: 'Search', q, page, error: '', hits: [], total: 0, pages: 1, words: [] as string[], capped: false };
  if (parsed.kind === 'invalid') return res.status(400).render('journal/search', { ...view, error: parsed.message });
  const { hits, total } = await searchEntries(db, signInState(res).userId, parsed.words, page);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  res.render('journal/search', { ...view, hits, total, pages, words: parsed.words, capped: total >= SEARCH_MAX_CANDIDATES });
}

export async function sendSearchResults(db: Queryable, req: Request, res: Response, page: number): Promise<void> {
  const parsed = parseSearch(req.query.q);
  if (parsed.kind === 'invalid') throw new AppError(400, 'search_invalid', parsed.message, { q: parsed.message });
  const { hits, total } = await searchEntries(db, signInState(res).userId, parsed.words, page);
  const entries = hits.map((hit) => ({ ...toJson(hit.entry), excerpt: plainText(hit.excerpt) }));
  // totalCapped: the newest SEARCH_MAX_CANDIDATES matches were ranked, and more entries may match.
  res.json({ entries, page, pageSize: PAGE_SIZE, total, totalCapped: total >= SEARCH_MAX_CANDIDATES });
}
