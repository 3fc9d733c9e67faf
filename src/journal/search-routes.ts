// The search page (GET /journal?q=… and /search) and the search API (GET /api/entries?q=… and /api/search).
import { type Request, type Response, Router } from 'express';
import { loadTimeZone, requireApiAuth, requirePageAuth, signInState } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { PAGE_SIZE, toJson } from './entries.js';
import { pageNumber } from './route-helpers.js';
import { journalState, loadJournalState } from './sealed.js';
import { parseSearch, plainText, SEARCH_MAX_CANDIDATES, type SearchOptions, type SearchQuery, searchEntries } from './search.js';
import { type SearchFilter, searchFilter } from './search-filters.js';
import { searchLanguage } from './word-forms.js';

/** True when the request asks for a search: `q` present and not blank (a blank box lists the journal). */
export function isSearch(req: Request): boolean {
  const { q } = req.query;
  return q !== undefined && !(typeof q === 'string' && q.trim() === '');
}

function options(req: Request, parsed: SearchQuery & { kind: 'words' }, filter: SearchFilter): SearchOptions {
  return { excluded: parsed.excluded, filter, language: searchLanguage(req.acceptsLanguages()) };
}

/** The query string of this search at another page: the words and every filter kept. */
function searchHref(q: string, filter: SearchFilter, page: number): string {
  const params: Array<[string, string]> = [['q', q]];
  for (const key of ['from', 'to', 'tag'] as const) if (filter[key]) params.push([key, filter[key]]);
  if (filter.starred) params.push(['starred', '1']);
  if (page > 1) params.push(['page', String(page)]);
  return `/journal?${params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}`;
}

/** A sealed journal (or one being unsealed) is searched in the browser: the server finds nothing in it. */
async function searchOrNothing(...args: Parameters<typeof searchEntries>): ReturnType<typeof searchEntries> {
  const [db, userId] = args;
  if ((await journalState(db, userId)) !== 'open') return { hits: [], total: 0 };
  return searchEntries(...args);
}

export async function renderSearchPage(db: Queryable, req: Request, res: Response, page: number): Promise<void> {
  const q = typeof req.query.q === 'string' ? req.query.q : '';
  const filter = searchFilter(req);
  const parsed = parseSearch(req.query.q ?? '');
  const href = (p: number) => searchHref(q, filter, p);
  const view = { title: 'Search', q, filter, page, error: '', hits: [], total: 0, pages: 1, words: [] as string[], capped: false, href };
  if (parsed.kind === 'invalid') return res.status(400).render('journal/search', { ...view, error: parsed.message });
  const { hits, total } = await searchOrNothing(db, signInState(res).userId, parsed.words, page, options(req, parsed, filter));
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  res.render('journal/search', { ...view, hits, total, pages, words: parsed.words, capped: total >= SEARCH_MAX_CANDIDATES });
}

export async function sendSearchResults(db: Queryable, req: Request, res: Response, page: number): Promise<void> {
  const filter = searchFilter(req);
  const parsed = parseSearch(req.query.q ?? '');
  if (parsed.kind === 'invalid') throw new AppError(400, 'search_invalid', parsed.message, { q: parsed.message });
  const { hits, total } = await searchOrNothing(db, signInState(res).userId, parsed.words, page, options(req, parsed, filter));
  const entries = hits.map((hit) => ({ ...toJson(hit.entry), excerpt: plainText(hit.excerpt) }));
  // totalCapped: the newest SEARCH_MAX_CANDIDATES matches were ranked, and more entries may match.
  res.json({ entries, page, pageSize: PAGE_SIZE, total, totalCapped: total >= SEARCH_MAX_CANDIDATES });
}

/** /search and /api/search: the same search as /journal?q= and /api/entries?q=, by its own name. */
export function searchRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/search', requirePageAuth(ctx), loadTimeZone(ctx), loadJournalState(ctx), function searchPage(req, res) {
    return renderSearchPage(ctx.db, req, res, pageNumber(req));
  });
  router.get('/api/search', requireApiAuth(ctx), function searchApi(req, res) {
    return sendSearchResults(ctx.db, req, res, pageNumber(req));
  });
  return router;
}
