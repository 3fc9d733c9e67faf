import { request as httpRequest } from 'node:http';
import express from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/db.js';
import { listen, stopGracefully } from '../../src/lifecycle.js';
import { buildTestApp, useTestApp } from '../helpers/app.js';

const setup = useTestApp();

describe('health', () => {
  it('answers /healthz and /readyz when the database is up', async () => {
    expect((await supertest(setup.t.app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await supertest(setup.t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.database).toBe('ok');
  });

  it('answers /readyz 503 when the database is unreachable', async () => {
    const down = openPostgres({ url: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    const app = buildTestApp(down).app;
    const res = await supertest(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'unavailable', database: 'unreachable' });
    await down.close();
  });
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('graceful shutdown', () => {
  it('finishes an in-flight request, refuses new connections, then cleans up', async () => {
    let release!: () => void;
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const app = express();
    app.get('/slow', (_req, res) => {
      markStarted();
      new Promise<void>((resolve) => (release = resolve)).then(() => res.send('finished'));
    });
    const running = await listen(app, 0, '127.0.0.1');
    const port = (running.address() as { port: number }).port;
    const inFlight = get(port, '/slow');
    await started;

    let cleanedUp = false;
    const stopped = stopGracefully(running, async () => {
      cleanedUp = true;
    });
    await expect(get(port, '/slow')).rejects.toThrow(/ECONNREFUSED/);
    expect(cleanedUp).toBe(false);
    release();
    expect(await inFlight).toEqual({ status: 200, body: 'finished' });
    await stopped;
    expect(cleanedUp).toBe(true);
  });
});
