// Refuses unsafe requests that a browser sent from another site (a second layer behind SameSite=Lax).
import type { RequestHandler } from 'express';
import { AppError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

export function crossSiteCheck(appOrigin: string): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const fetchSite = req.get('sec-fetch-site');
    // Fetch metadata is set by the browser itself; "none" is a user-typed or bookmarked request.
    if (fetchSite !== undefined) {
      if (fetchSite === 'same-origin' || fetchSite === 'none') return next();
    } else {
      const origin = req.get('origin');
      const claimed = origin !== undefined && origin !== 'null' ? originOf(origin) : originOf(req.get('referer'));
      if (claimed === appOrigin) return next();
    }
    next(new AppError(403, 'cross_site_request', 'This request came from another site and was refused. Reload the page and try again.'));
  };
}
