// Listening and graceful shutdown, kept apart from server.ts so tests can drive them.
import type { Server, ServerResponse } from 'node:http';
import type { Express } from 'express';

interface Tracking {
  inFlight: Set<ServerResponse>;
  stopping: boolean;
}
const tracking = new WeakMap<Server, Tracking>();

/** What /readyz reports: once draining, a load balancer is told to stop sending here. */
export interface Readiness {
  draining: boolean;
}

export function createReadiness(): Readiness {
  return { draining: false };
}

export function listen(app: Express, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host ?? '::', (error?: Error) => (error ? reject(error) : resolve(server)));
    // Longer than any proxy's idle timeout in front of us, so the proxy closes idle sockets first.
    server.keepAliveTimeout = 65_000;
    const state: Tracking = { inFlight: new Set(), stopping: false };
    tracking.set(server, state);
    // Ahead of the app's own listener: a request the app answers at once must still get the header.
    server.prependListener('request', (_req, res: ServerResponse) => {
      state.inFlight.add(res);
      res.on('close', () => state.inFlight.delete(res));
      if (state.stopping) res.setHeader('Connection', 'close');
    });
  });
}

/**
 * Stops accepting connections and lets requests in flight finish; each of their responses says
 * `Connection: close`, so keep-alive sockets end with them (idle ones are closed at once). Then
 * `cleanup` runs. After `graceMs` any socket still open is cut, so shutdown cannot hang.
 */
export function stopGracefully(server: Server, cleanup: () => Promise<void>, graceMs = 10_000): Promise<void> {
  const state = tracking.get(server);
  if (state) {
    state.stopping = true;
    for (const res of state.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      cleanup().then(resolve, reject);
    });
  });
}

/**
 * SIGTERM's sequence: /readyz answers 503 for `drainSeconds` while every request is still served,
 * so a load balancer stops sending before connections are refused; then stopGracefully.
 */
export async function drainThenStop(
  server: Server,
  readiness: Readiness,
  drainSeconds: number,
  cleanup: () => Promise<void>,
): Promise<void> {
  readiness.draining = true;
  if (drainSeconds > 0) await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
  await stopGracefully(server, cleanup);
}
