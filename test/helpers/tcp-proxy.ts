// A loopback TCP proxy in front of PostgreSQL that a test can cut and restore: a real outage.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private hold?: { pattern: Buffer; reached: () => void };
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
        upstream.pipe(client);
        client.on('data', (chunk: Buffer) => {
          const hold = proxy.hold;
          if (hold && chunk.includes(hold.pattern)) {
            proxy.hold = undefined;
            return hold.reached(); // this message never reaches the database
          }
          upstream.write(chunk);
        });
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

  /**
   * Holds back the first message from the app that contains `text` (for example the second statement
   * of a transaction, once the first has run) and resolves when it arrives; the test then cuts.
   */
  holdWhenSent(text: string): Promise<void> {
    return new Promise((resolve) => {
      this.hold = { pattern: Buffer.from(text), reached: resolve };
    });
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
