// A minimal browser cookie jar for supertest: keeps what Set-Cookie sets, drops what it clears.
import type { Response } from 'supertest';

export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

export function parseSetCookies(res: Response): SetCookie[] {
  const raw = res.headers['set-cookie'] as unknown;
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return lines.map((line) => {
    const [pair = '', ...rest] = line.split(';');
    const eq = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const part of rest) {
      const [key = '', ...value] = part.trim().split('=');
      attributes[key.toLowerCase()] = value.length ? value.join('=') : true;
    }
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
  });
}

export class CookieJar {
  private readonly cookies = new Map<string, string>();

  update(res: Response): void {
    for (const cookie of parseSetCookies(res)) {
      const expires = cookie.attributes.expires;
      const cleared =
        cookie.value === '' || cookie.attributes['max-age'] === '0' || (typeof expires === 'string' && Date.parse(expires) <= Date.now());
      if (cleared) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  delete(name: string): void {
    this.cookies.delete(name);
  }

  header(): string {
    // Values go back exactly as they were set, as browsers do (signed cookies depend on it).
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
