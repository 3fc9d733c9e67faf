// Feature routers behind a prefix test. Express tries every layer of every router in turn, so a
// request for /journal first ran the path tests of each sign-in, passkey and auth route; a router
// now says which first path segments it answers ('/journal', '/api') and the rest pass it by.
import type { Handler, Request, Router } from 'express';

interface LayerLike {
  rawPath?: unknown;
  route?: unknown;
  handle: unknown;
}

const stackOf = (handle: unknown) => (handle as { stack?: readonly LayerLike[] }).stack;

/** '/journal/abc/edit?x=1' → '/journal'; '/' → '/'. Lower case: Express matches paths case-insensitively. */
export function firstSegment(url: string): string {
  let end = 1;
  while (end < url.length && url[end] !== '/' && url[end] !== '?') end++;
  return url.slice(0, end).toLowerCase();
}

/**
 * The first segments a router's routes and mounted paths start with, or undefined when it may answer
 * any path (a middleware for every path, a parameter or pattern in the first segment, a RegExp).
 */
export function firstSegments(stack: readonly LayerLike[]): Set<string> | undefined {
  const found = new Set<string>();
  for (const layer of stack) {
    for (const path of Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath]) {
      if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
      if (path === '/' && !layer.route) {
        // router.use(fn) or router.use(anotherRouter): every path, unless it is a router we can read.
        const inner = stackOf(layer.handle);
        const innerSegments = inner ? firstSegments(inner) : undefined;
        if (!innerSegments) return undefined;
        for (const segment of innerSegments) found.add(segment);
        continue;
      }
      const segment = firstSegment(path);
      if (/[:*?(){}]/.test(segment)) return undefined;
      found.add(segment);
    }
  }
  return found;
}

/** `router`, passed by without a look at its layers when the request's first segment is none of its own. */
export function byFirstSegment(router: Router): Handler {
  let segments: Set<string> | undefined | null = null;
  return function routeByFirstSegment(req: Request, res, next) {
    // Read at the first request, when every route has been added.
    if (segments === null) {
      const stack = stackOf(router);
      segments = stack ? firstSegments(stack) : undefined;
    }
    if (segments === undefined || segments.has(firstSegment(req.url))) return router(req, res, next);
    next();
  };
}
