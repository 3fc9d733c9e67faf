// A real OpenID provider (oidc-provider, a certified implementation) on a loopback port, with one
// test client and accounts whose claims the test sets; `authorize` walks its login and consent
// pages over HTTP as a browser would, keeping the provider's cookies by hand.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { TEST_ORIGIN } from './app.js';

export const OIDC_CLIENT_ID = 'smriti-test';
export const OIDC_CLIENT_SECRET = 'smriti-test-client-secret-of-some-length';
const CALLBACK_PATH = '/auth/oidc/callback';

export interface AccountClaims {
  email?: string;
  email_verified?: boolean;
}

export interface TestProvider {
  issuer: string;
  /** The app's OIDC_* variables for this provider. */
  env: Record<string, string>;
  /** Claims per login name; the login form accepts any password. */
  accounts: Map<string, AccountClaims>;
  /**
   * Follows the authorization URL through the provider's login (as `login`) and consent pages and
   * answers the callback path it sends the browser to. `abort`: cancel at the login page instead.
   */
  authorize(authorizationUrl: string, login: string, options?: { abort?: boolean }): Promise<string>;
  close(): Promise<void>;
}

class Cookies {
  private readonly values = new Map<string, string>();
  update(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.values.delete(name);
      else this.values.set(name, value);
    }
  }
  header(): string {
    return [...this.values].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/** `appOrigin`: where the app's callback is (the client's one redirect URI). */
export async function startTestProvider(appOrigin = TEST_ORIGIN): Promise<TestProvider> {
  const callback = `${appOrigin}${CALLBACK_PATH}`;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, AccountClaims>();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: [callback],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, ...accounts.get(id) }) }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    cookies: { keys: ['test-provider-cookie-key'] },
    features: { devInteractions: { enabled: true } },
  });
  handler = provider.callback();

  async function authorize(authorizationUrl: string, login: string, options: { abort?: boolean } = {}): Promise<string> {
    const cookies = new Cookies();
    let url = authorizationUrl;
    let form: Record<string, string> | undefined;
    for (let step = 0; step < 20; step++) {
      const res = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { cookie: cookies.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: form ? new URLSearchParams(form).toString() : undefined,
      });
      cookies.update(res);
      form = undefined;
      const location = res.headers.get('location');
      if (location) {
        const next = new URL(location, url).href;
        if (next.startsWith(callback)) return next.slice(appOrigin.length);
        url = next;
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${html.slice(0, 300)}`);
      if (html.includes('name="prompt" value="login"')) {
        if (options.abort) {
          url = `${url}/abort`;
          continue;
        }
        form = { prompt: 'login', login, password: 'any password' };
      } else if (html.includes('name="prompt" value="consent"')) {
        form = { prompt: 'consent' };
      } else {
        throw new Error(`unexpected provider page: ${html.slice(0, 300)}`);
      }
    }
    throw new Error('the provider never sent the browser back');
  }

  return {
    issuer,
    env: { OIDC_ISSUER_URL: issuer, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME: 'TestID' },
    accounts,
    authorize,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
