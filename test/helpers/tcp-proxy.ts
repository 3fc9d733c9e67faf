// A loopback TCP proxy in front of PostgreSQL that a test can cut and restore: a real outage.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private constructor(private readonly server: Server) {}

  static start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    return new Promise((resolve) => {
      let proxy: TcpProxy;
      const server = createServer((client) => {
        if (proxy.down) return client.destroy();
        const upstream = connect(targetPort, targetHost);
        for (const socket of [client, upstream]) {
          proxy.sockets.add(socket);
          socket.on('close', () => proxy.sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      proxy = new TcpProxy(server);
      server.listen(0, '127.0.0.1', () => resolve(proxy));
    });
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Drops every open connection and refuses new ones, as a stopped database would. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
