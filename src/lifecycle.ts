// Listening and graceful shutdown, kept apart from server.ts so tests can drive them.
import type { Server } from 'node:http';
import type { Express } from 'express';

export function listen(app: Express, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host ?? '::', (error?: Error) => (error ? reject(error) : resolve(server)));
    // Longer than any proxy's idle timeout in front of us, so the proxy closes idle sockets first.
    server.keepAliveTimeout = 65_000;
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish (idle keep-alive sockets close at
 * once), then runs `cleanup`. After `graceMs` remaining sockets are cut so shutdown cannot hang.
 */
export function stopGracefully(server: Server, cleanup: () => Promise<void>, graceMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    // A keep-alive socket turns idle once its last response is sent; close those as they appear.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      cleanup().then(resolve, reject);
    });
    server.closeIdleConnections();
  });
}
