// A small HTTP client with exact control over headers and body bytes (supertest normalises both).
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export function rawRequest(options: http.RequestOptions, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Percent-encodes every code point so any string can ride in a header or form; a lone surrogate becomes a broken escape. */
export function percentEncode(value: string): string {
  return [...value]
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return `%${ch.charCodeAt(0).toString(16).toUpperCase()}`;
      }
    })
    .join('');
}

/**
 * A POST whose headers and first bytes go now and the rest of the body only when `finish` is called:
 * in flight by construction, however fast the server is.
 */
export function startTrickledPost(port: number, path: string, body: string, headers: Record<string, string>) {
  const bytes = Buffer.from(body);
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: { ...headers, 'Content-Length': String(bytes.length) },
  });
  const connected = new Promise<void>((resolve) => req.on('socket', (socket) => socket.once('connect', () => resolve())));
  const reply = new Promise<{ status: number | string; connection?: string }>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error' }));
  });
  req.write(bytes.subarray(0, 8));
  return { connected, reply, finish: () => req.end(bytes.subarray(8)) };
}
