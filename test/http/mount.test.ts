// Routers behind a first-segment test: a request reaches a router whenever one of its routes could
// answer it (any case, a trailing slash, a query), and passes the others by.
import express, { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { byFirstSegment, firstSegment, firstSegments } from '../../src/http/mount.js';

const stackOf = (router: Router) => (router as unknown as { stack: never[] }).stack;

describe('firstSegment', () => {
  it('takes the path up to the second slash or the query, in lower case', () => {
    expect(['/', '/?x=1', '/Journal', '/journal/', '/journal/abc/edit?x=1', '/api?q=/x'].map(firstSegment)).toEqual([
      '/',
      '/',
      '/journal',
      '/journal',
      '/journal',
      '/api',
    ]);
  });
});

describe('firstSegments', () => {
  it('lists the segments of routes, mounted paths and routers mounted inside', () => {
    const inner = Router();
    inner.get('/search', () => undefined);
    const router = Router();
    router.get('/', () => undefined);
    router.use('/journal', () => undefined);
    router.post('/journal/:id', () => undefined);
    router.use(inner);
    expect([...(firstSegments(stackOf(router)) ?? [])].sort()).toEqual(['/', '/journal', '/search']);
  });

  it('gives up (every path) on a middleware for all paths, a parameter first, or a RegExp', () => {
    const everywhere = Router();
    everywhere.use((_req, _res, next) => next());
    const param = Router();
    param.get('/:page', () => undefined);
    const pattern = Router();
    pattern.get(/^\/x/, () => undefined);
    expect([everywhere, param, pattern].map((r) => firstSegments(stackOf(r)))).toEqual([undefined, undefined, undefined]);
  });
});

describe('byFirstSegment', () => {
  function app() {
    const seen: string[] = [];
    const router = Router();
    router.get('/journal/:id', (req, res) => {
      seen.push(req.params.id as string);
      res.send('entry');
    });
    const app = express();
    app.use(byFirstSegment(router));
    app.use((_req, res) => res.status(404).send('passed by'));
    return { app, seen };
  }

  it('hands the router every request one of its routes answers, as Express would match it', async () => {
    const { app: server, seen } = app();
    for (const path of ['/journal/a', '/JOURNAL/b', '/journal/c/', '/journal/d?x=1']) {
      expect((await request(server).get(path)).text).toBe('entry');
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('passes other requests to what comes next', async () => {
    const { app: server, seen } = app();
    for (const path of ['/journalx/a', '/account', '/']) {
      const res = await request(server).get(path);
      expect([res.status, res.text]).toEqual([404, 'passed by']);
    }
    expect(seen).toEqual([]);
  });
});
