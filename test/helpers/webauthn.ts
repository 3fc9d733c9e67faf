// A software passkey authenticator for the HTTP tests: real ES256 keys, real CBOR, real signatures,
// with "none" attestation, as a platform authenticator answers. Overrides make the wrong answers.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

export interface SoftPasskey {
  credentialId: Buffer;
  privateKey: KeyObject;
  /** base64url, as the options gave it */
  userHandle: string;
  counter: number;
}

export interface Overrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  userVerified?: boolean;
  /** The signature counter to report; synced passkeys always say 0. */
  counter?: number;
}

const FLAG = { userPresent: 0x01, userVerified: 0x04, backupEligible: 0x08, backedUp: 0x10, attested: 0x40 };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export class SoftAuthenticator {
  readonly passkeys: SoftPasskey[] = [];

  constructor(
    readonly origin: string,
    readonly rpId = new URL(origin).hostname,
    /** A synced passkey (backup eligible and backed up) keeps its counter at 0. */
    readonly synced = false,
  ) {}

  private authData(rpId: string, extra: number, counter: number, attested?: Buffer): Buffer {
    const flags = Buffer.from([extra | (this.synced ? FLAG.backupEligible | FLAG.backedUp : 0)]);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), flags, count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** A new passkey for the options' user, answered as navigator.credentials.create() would. */
  register(options: PublicKeyCredentialCreationOptionsJSON, o: Overrides = {}): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
    ]);
    const credentialId = randomBytes(16);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credentialId, Buffer.from(isoCBOR.encode(cose))]);
    const uv = o.userVerified === false ? 0 : FLAG.userVerified;
    const authData = this.authData(o.rpId ?? this.rpId, FLAG.userPresent | uv | FLAG.attested, 0, attested);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const clientDataJSON = this.clientData('webauthn.create', o.challenge ?? options.challenge, o.origin ?? this.origin);
    this.passkeys.push({ credentialId, privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id: b64(credentialId),
      rawId: b64(credentialId),
      type: 'public-key',
      response: { clientDataJSON: b64(clientDataJSON), attestationObject: b64(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** A signed assertion by `passkey` (the newest by default), as navigator.credentials.get() would. */
  assert(options: PublicKeyCredentialRequestOptionsJSON, o: Overrides = {}, passkey = this.passkeys.at(-1)): AuthenticationResponseJSON {
    if (!passkey) throw new Error('this authenticator holds no passkey');
    if (!this.synced) passkey.counter += 1;
    const counter = o.counter ?? (this.synced ? 0 : passkey.counter);
    const uv = o.userVerified === false ? 0 : FLAG.userVerified;
    const authData = this.authData(o.rpId ?? this.rpId, FLAG.userPresent | uv, counter);
    const clientDataJSON = this.clientData('webauthn.get', o.challenge ?? options.challenge, o.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), passkey.privateKey);
    return {
      id: b64(passkey.credentialId),
      rawId: b64(passkey.credentialId),
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(signature),
        userHandle: passkey.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
