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
