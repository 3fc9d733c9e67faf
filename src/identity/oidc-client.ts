// The OpenID Connect relying party (openid-client): discovery once, the authorization request with
// PKCE, state and nonce, and the callback's checks. Outcomes are values; the routes word them.
import * as client from 'openid-client';
import type { OidcConfig } from '../config.js';

export const CALLBACK_PATH = '/auth/oidc/callback';
const SCOPE = 'openid email';
// A slow provider holds a request open; the person should hear about it well before 30 s.
const TIMEOUT_SECONDS = 10;

export interface ProviderClaims {
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
}

export type CallbackFailure = 'provider_error' | 'cancelled' | 'state_mismatch' | 'rejected' | 'code_used' | 'unreachable';
export type CallbackOutcome = { kind: 'ok'; claims: ProviderClaims } | { kind: CallbackFailure; detail?: string };

export interface AuthorizationStart {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OidcProvider {
  readonly name: string;
  /** Throws when the provider cannot be reached (its discovery document), and tries again next time. */
  begin(redirectUri: string): Promise<AuthorizationStart>;
  finish(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<CallbackOutcome>;
}

export function createOidcProvider(oidc: OidcConfig): OidcProvider {
  let discovered: Promise<client.Configuration> | undefined;
  const issuer = new URL(oidc.issuerUrl);
  // Plain http only for a loopback provider outside production (config.ts refuses it otherwise).
  const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  const configuration = () => {
    discovered ??= client.discovery(issuer, oidc.clientId, oidc.clientSecret, undefined, { execute, timeout: TIMEOUT_SECONDS });
    // A failed discovery is forgotten, so the provider coming back is noticed at the next click.
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered;
  };

  return {
    name: oidc.providerName,
    async begin(redirectUri) {
      const config = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, state, nonce, codeVerifier };
    },
    async finish(callbackUrl, expected) {
      const error = callbackUrl.searchParams.get('error');
      if (error) return { kind: error === 'access_denied' ? 'cancelled' : 'provider_error', detail: error };
      // Checked here as well as by openid-client, to tell a forged or crossed answer apart in words.
      if (callbackUrl.searchParams.get('state') !== expected.state) return { kind: 'state_mismatch' };
      try {
        const config = await configuration();
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims()!;
        let { email, email_verified: verified } = idToken as { email?: unknown; email_verified?: unknown };
        if (email === undefined && tokens.access_token) {
          // Some providers put the email in the userinfo answer only.
          const info = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
          email = info.email;
          verified = info.email_verified;
        }
        const claims = {
          issuer: idToken.iss,
          subject: idToken.sub,
          email: typeof email === 'string' ? email : undefined,
          // Some providers send the string "true"; anything else is not a verified address.
          emailVerified: verified === true || verified === 'true',
        };
        return { kind: 'ok', claims };
      } catch (failure) {
        return describeFailure(failure);
      }
    },
  };
}

function describeFailure(failure: unknown): CallbackOutcome {
  if (failure instanceof client.ResponseBodyError) {
    return { kind: failure.error === 'invalid_grant' ? 'code_used' : 'rejected', detail: failure.error };
  }
  if (failure instanceof client.AuthorizationResponseError) return { kind: 'provider_error', detail: failure.error };
  const code = (failure as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('OAUTH_')) return { kind: 'rejected', detail: code };
  return { kind: 'unreachable', detail: failure instanceof Error ? failure.message.slice(0, 200) : 'unknown' };
}
