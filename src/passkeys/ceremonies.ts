// The WebAuthn ceremonies over @simplewebauthn/server: options out, responses checked, and every
// failure turned into a sentence for people (the library's own messages name the configured origin).
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { NewPasskey, Passkey } from './credentials.js';

const RP_NAME = 'Smriti';
/** How long the browser waits for the person (milliseconds), inside the challenge's own lifetime. */
const CEREMONY_TIMEOUT_MS = 120_000;
/** A real response is a few kilobytes; anything far larger is not one. */
const RESPONSE_MAX_CHARS = 64 * 1024;

// Loaded at first use or when the server warms up after it listens (its ASN.1 and COSE stack was a
// tenth of the start, and most processes serve no passkey ceremony in their first second).
let loading: Promise<typeof import('@simplewebauthn/server')> | undefined;
export function loadWebAuthn(): Promise<typeof import('@simplewebauthn/server')> {
  loading ??= import('@simplewebauthn/server');
  return loading;
}

export const MESSAGES = {
  unreadable: 'Your browser sent a passkey answer Smriti could not read. Please try again.',
  expired: 'That passkey request has expired or was already used. Please try again.',
  unknownPasskey: 'This passkey is not registered with Smriti (it may have been removed). Sign in another way, or use another passkey.',
  otherSite: 'That passkey answer was made for another site, so it was not accepted.',
  notVerified: 'Your device did not confirm it is you (fingerprint, face or screen lock). Please try again.',
  failed: 'The passkey could not be verified. Please try again.',
  counter:
    'This passkey reported a use count lower than before, which can mean it was copied, so it was not accepted. Sign in another way and check your passkeys.',
} as const;

export type Refusal = { kind: 'refused'; reason: string; message: string };

const base64url = z.string().regex(/^[A-Za-z0-9_-]*={0,2}$/);
const responseShape = z.object({
  id: base64url.min(1),
  rawId: base64url.min(1),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: base64url.min(1) }),
  clientExtensionResults: z.looseObject({}).optional().default({}),
});

/** The response the browser posted (JSON text in a form field), and the challenge it answers. */
export function readResponse<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(
  text: string,
): { kind: 'ok'; response: T; challenge: string } | Refusal {
  const unreadable = { kind: 'refused', reason: 'unreadable', message: MESSAGES.unreadable } as const;
  if (text === '' || text.length > RESPONSE_MAX_CHARS) return unreadable;
  try {
    const parsed = responseShape.safeParse(JSON.parse(text));
    if (!parsed.success) return unreadable;
    const clientData = JSON.parse(Buffer.from(parsed.data.response.clientDataJSON, 'base64url').toString('utf8'));
    if (typeof clientData?.challenge !== 'string' || clientData.challenge === '') return unreadable;
    return { kind: 'ok', response: parsed.data as unknown as T, challenge: clientData.challenge };
  } catch {
    return unreadable;
  }
}

/** A passkey's user handle is the account id's 16 bytes: the sign-in learns the user before any query (DESIGN §10). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex'));
}

export function userIdFromHandle(handle: string | undefined): string | undefined {
  if (!handle) return undefined;
  const hex = Buffer.from(handle, 'base64url').toString('hex');
  if (hex.length !== 32) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function refusal(error: unknown): Refusal {
  const text = error instanceof Error ? error.message : '';
  if (/origin|RP ID|rpIdHash/i.test(text)) return { kind: 'refused', reason: 'other_site', message: MESSAGES.otherSite };
  if (/user verification|could not be verified|user not present/i.test(text))
    return { kind: 'refused', reason: 'not_verified', message: MESSAGES.notVerified };
  return { kind: 'refused', reason: 'failed', message: MESSAGES.failed };
}

export async function registrationOptions(
  ctx: AppContext,
  user: { id: string; email: string },
  existing: readonly Passkey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await loadWebAuthn();
  return generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: ctx.config.webauthnRpId,
    userName: user.email,
    userID: userHandleOf(user.id),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as never })),
    // A discoverable credential (the sign-in button and autofill need no email), verified on the device.
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

export async function authenticationOptions(
  ctx: AppContext,
  allowed: readonly Passkey[] = [],
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await loadWebAuthn();
  return generateAuthenticationOptions({
    rpID: ctx.config.webauthnRpId,
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: 'required',
    allowCredentials: allowed.map((p) => ({ id: p.credentialId, transports: p.transports as never })),
  });
}

export async function checkRegistration(
  ctx: AppContext,
  response: RegistrationResponseJSON,
  challenge: string,
): Promise<{ kind: 'ok'; passkey: Omit<NewPasskey, 'name'> } | Refusal> {
  const { verifyRegistrationResponse } = await loadWebAuthn();
  try {
    const checked = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ctx.config.appOrigin,
      expectedRPID: ctx.config.webauthnRpId,
      requireUserVerification: true,
    });
    if (!checked.verified) return refusal(undefined);
    const info = checked.registrationInfo;
    return {
      kind: 'ok',
      passkey: {
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: (response.response.transports ?? []).filter((t) => typeof t === 'string').slice(0, 8),
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
      },
    };
  } catch (error) {
    ctx.logger.info({ err: error instanceof Error ? error.message : String(error) }, 'passkey registration refused');
    return refusal(error);
  }
}

export type AssertionCheck = { kind: 'ok'; counter: number; backedUp: boolean } | { kind: 'counter_regressed'; counter: number } | Refusal;

export async function checkAssertion(
  ctx: AppContext,
  response: AuthenticationResponseJSON,
  challenge: string,
  passkey: Passkey,
): Promise<AssertionCheck> {
  const { verifyAuthenticationResponse } = await loadWebAuthn();
  try {
    const checked = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ctx.config.appOrigin,
      expectedRPID: ctx.config.webauthnRpId,
      // The library compares counters before it checks the signature; handing it 0 moves that
      // comparison below, after the signature is known good, so a forged counter raises no alarm.
      credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: 0, transports: passkey.transports as never },
      requireUserVerification: true,
    });
    if (!checked.verified) return refusal(undefined);
    const { newCounter, credentialBackedUp } = checked.authenticationInfo;
    // Synced passkeys always report 0 (WebAuthn §6.1.1); otherwise the count must grow.
    if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter) return { kind: 'counter_regressed', counter: newCounter };
    return { kind: 'ok', counter: newCounter, backedUp: credentialBackedUp };
  } catch (error) {
    ctx.logger.info({ err: error instanceof Error ? error.message : String(error) }, 'passkey assertion refused');
    return refusal(error);
  }
}
