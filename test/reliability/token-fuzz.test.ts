// Property-based fuzzing of the token cookies: no forged, mangled or junk token signs anyone in or crashes the app.
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/cookies.js';
import {
  type TokenType as AnyTokenType,
  createTokenKeys,
  keyIdFor,
  signToken,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from '../../src/auth/tokens.js';
import type { Db } from '../../src/db/db.js';
import { PENDING_COOKIE } from '../../src/sign-in/pending.js';
import { buildTestApp, fakeClock, signedInBrowser, TEST_JWT_SECRET, TEST_ORIGIN, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { percentEncode, type Reply, rawRequest } from '../helpers/raw-http.js';

/** The two token types a cookie carries; the pending token has its own checks (see the two-factor tests). */
type TokenType = Exclude<AnyTokenType, 'pending'>;

// Run counts: together with input-fuzz.test.ts this stays well under a minute on two cores.
const RUNS = { apiMe: 1200, journal: 1000, refresh: 1000, pending: 400 };
// Node answers 431 above 16 KB of headers; the generated Cookie header stays under this.
const COOKIE_VALUE_BUDGET = 11_000;

const KID = keyIdFor(TEST_JWT_SECRET);
const OTHER_SECRET = 'another-secret-that-this-app-never-had-0123456789';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// ---------------------------------------------------------------------------------------------
// A small HTTP client: one listening server, keep-alive, exact control over the Cookie header.

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let server: http.Server;
let cases = 0;

function send(method: 'GET' | 'POST', path: string, cookie: string | string[] | undefined): Promise<Reply> {
  cases += 1;
  const port = (server.address() as AddressInfo).port;
  const headers: http.OutgoingHttpHeaders = {};
  if (cookie !== undefined) headers.Cookie = cookie;
  if (method === 'POST') {
    headers.Origin = TEST_ORIGIN;
    headers['Content-Length'] = 0;
  }
  return rawRequest({ host: '127.0.0.1', port, method, path, headers, agent });
}

function setCookies(reply: Reply): Array<{ name: string; value: string }> {
  return (reply.headers['set-cookie'] ?? []).map((line) => {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
  });
}

/** A signed-in answer also means new tokens: a refused request may only clear the cookies. */
function expectNoTokensIssued(reply: Reply, label: string): void {
  for (const cookie of setCookies(reply)) {
    if (cookie.name === ACCESS_COOKIE || cookie.name === REFRESH_COOKIE) {
      expect(cookie.value, `${label}: ${cookie.name} was set to a new token`).toBe('');
    }
  }
}

function jsonOf(reply: Reply): Record<string, unknown> {
  try {
    return JSON.parse(reply.text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------
// The real tokens the fuzz starts from.

interface Person {
  sub: string;
  sid: string;
  access: string;
  refresh: string;
}

let db: Db;
let t: TestApp;
let alice: Person;
let bob: Person;
let revokedRefresh: string;
let expired: Record<TokenType, string>;
let unknownKey: Record<TokenType, string>;
let nowSeconds: number;

function cookieFrom(browserHeader: string, name: string): string {
  const match = new RegExp(`(?:^|; )${name}=([^;]*)`).exec(browserHeader);
  if (!match?.[1]) throw new Error(`no ${name} cookie after sign-in`);
  return match[1];
}

async function signIn(): Promise<Person & { header: string }> {
  const { browser } = await signedInBrowser(t.app);
  const header = browser.jar.header();
  const access = cookieFrom(header, ACCESS_COOKIE);
  const refresh = cookieFrom(header, REFRESH_COOKIE);
  const claims = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()) as { sub: string; sid: string };
  return { sub: claims.sub, sid: claims.sid, access, refresh, header };
}

beforeAll(async () => {
  db = await createTestDb();
  const clock = fakeClock();
  t = buildTestApp(db, {}, clock);
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  nowSeconds = Math.floor(clock.now() / 1000);

  alice = await signIn();
  bob = await signIn();
  const carol = await signIn();
  const loggedOut = await send('POST', '/logout', carol.header);
  if (loggedOut.status !== 303) throw new Error(`logout failed: ${loggedOut.status}`);
  revokedRefresh = carol.refresh;

  // Real, well-formed tokens whose only fault is their age, or a key this app does not hold.
  const keys = createTokenKeys(t.config.jwt);
  const longAgo = clock.now() - 40 * 24 * 3600 * 1000;
  expired = { access: signToken(keys, 'access', alice, longAgo).token, refresh: signToken(keys, 'refresh', alice, longAgo).token };
  const stranger = createTokenKeys({ ...t.config.jwt, secret: OTHER_SECRET, previousSecrets: [] });
  unknownKey = {
    access: signToken(stranger, 'access', alice, clock.now()).token,
    refresh: signToken(stranger, 'refresh', alice, clock.now()).token,
  };
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
  console.log(`token fuzz: ${cases} cases`);
});

// ---------------------------------------------------------------------------------------------
// Forged tokens: hand-signed with the real secret and key id, each carrying at least one defect.

interface Forgery {
  header: Record<string, unknown> | string;
  payload: Record<string, unknown> | string;
  signWith: 'sha256' | 'sha384' | 'sha512' | 'none';
  key: string;
  signature: (sig: string) => string;
  layout: (h: string, p: string, s: string) => string;
}

interface Defect {
  label: string;
  apply: (f: Forgery) => void;
}

const segment = (value: Record<string, unknown> | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function hmac(algorithm: 'sha256' | 'sha384' | 'sha512', key: string, input: string): string {
  return createHmac(algorithm, key).update(input).digest('base64url');
}

function serialize(f: Forgery): string {
  const h = segment(f.header);
  const p = segment(f.payload);
  const sig = f.signWith === 'none' ? '' : hmac(f.signWith, f.key, `${h}.${p}`);
  return f.layout(h, p, f.signature(sig));
}

function baseForgery(typ: TokenType, who: Person): Forgery {
  const ttl = typ === 'access' ? t.config.jwt.accessTtlSeconds : t.config.jwt.refreshTtlSeconds;
  return {
    header: { alg: 'HS256', typ: 'JWT', kid: KID },
    payload: {
      sub: who.sub,
      sid: who.sid,
      typ,
      jti: randomUUID(),
      iat: nowSeconds,
      exp: nowSeconds + ttl,
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
    },
    signWith: 'sha256',
    key: TEST_JWT_SECRET,
    signature: (sig) => sig,
    layout: (h, p, s) => `${h}.${p}.${s}`,
  };
}

function onHeader(label: string, change: (h: Record<string, unknown>) => void): Defect {
  return { label, apply: (f) => typeof f.header === 'object' && change(f.header) };
}

function onClaims(label: string, change: (p: Record<string, unknown>) => void): Defect {
  return { label, apply: (f) => typeof f.payload === 'object' && change(f.payload) };
}

function differentFrom(original: string, changed: string, fallback: string): string {
  return changed !== original ? changed : fallback;
}

const LEEWAY = 60;

function defects(typ: TokenType): Array<fc.Arbitrary<Defect>> {
  const otherTyp: TokenType = typ === 'access' ? 'refresh' : 'access';
  const claimNames = ['sub', 'sid', 'typ', 'jti', 'iat', 'exp', 'iss', 'aud'];
  return [
    // The algorithm is pinned to HS256: none, HS384/512 and RS256 (the HMAC-with-public-key confusion) fail.
    fc.constantFrom<Defect>(
      {
        label: 'alg none',
        apply: (f) => {
          onHeader('', (h) => {
            h.alg = 'none';
          }).apply(f);
          f.signWith = 'none';
        },
      },
      {
        label: 'alg HS512',
        apply: (f) => {
          onHeader('', (h) => {
            h.alg = 'HS512';
          }).apply(f);
          f.signWith = 'sha512';
        },
      },
      {
        label: 'alg HS384',
        apply: (f) => {
          onHeader('', (h) => {
            h.alg = 'HS384';
          }).apply(f);
          f.signWith = 'sha384';
        },
      },
      onHeader('alg RS256 signed with HMAC', (h) => {
        h.alg = 'RS256';
      }),
      onHeader('alg lower-case', (h) => {
        h.alg = 'hs256';
      }),
      onHeader('alg missing', (h) => {
        delete h.alg;
      }),
      onHeader('alg as array', (h) => {
        h.alg = ['HS256'];
      }),
      {
        label: 'an embedded jwk, signed with it',
        apply: (f) => {
          onHeader('', (h) => {
            h.jwk = { kty: 'oct', k: Buffer.from('attacker').toString('base64url') };
          }).apply(f);
          f.key = 'attacker';
        },
      },
    ),
    // The key id must name a key the app holds; path tricks and prototype names name nothing.
    fc
      .constantFrom<unknown>(
        undefined,
        '',
        '../../../../etc/passwd',
        '/dev/null',
        '..\\..\\secret',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        `${KID} `,
        ` ${KID}`,
        `${KID}\u0000`,
        [KID],
        { kid: KID },
        12345,
        null,
        true,
        'x'.repeat(1500),
        differentFrom(KID, KID.toUpperCase(), `${KID}x`),
        differentFrom(KID, KID.toLowerCase(), `x${KID}`),
      )
      .map((kid) =>
        onHeader(`kid ${JSON.stringify(kid)?.slice(0, 40)}`, (h) => {
          if (kid === undefined) delete h.kid;
          else h.kid = kid;
        }),
      ),
    fc.constantFrom<Defect>(
      {
        label: 'signed with a key the app never had, its own kid',
        apply: (f) => {
          onHeader('', (h) => {
            h.kid = keyIdFor(OTHER_SECRET);
          }).apply(f);
          f.key = OTHER_SECRET;
        },
      },
      {
        label: 'right kid, wrong key',
        apply: (f) => {
          f.key = OTHER_SECRET;
        },
      },
      {
        label: 'right kid, empty key',
        apply: (f) => {
          f.key = '';
        },
      },
    ),
    // Claims: wrong token type, missing, mistyped or out-of-range values.
    fc.constantFrom<unknown>(otherTyp, 'pending', typ.toUpperCase(), '', null, [typ], 1, `${typ} `, undefined).map((value) =>
      onClaims(`typ ${JSON.stringify(value)}`, (p) => {
        if (value === undefined) delete p.typ;
        else p.typ = value;
      }),
    ),
    fc.constantFrom(...claimNames).map((name) =>
      onClaims(`missing ${name}`, (p) => {
        delete p[name];
      }),
    ),
    // Each value is wrong whatever exp held before, so applying two of these never repairs it.
    fc.constantFrom<unknown>(String(nowSeconds + 3600), 'tomorrow', nowSeconds + 3600.5, null, 1e300, [nowSeconds + 3600], {}).map((exp) =>
      onClaims(`exp ${JSON.stringify(exp)}`, (p) => {
        p.exp = exp;
      }),
    ),
    fc.integer({ min: LEEWAY + 1, max: 10_000_000 }).map((ago) =>
      onClaims(`expired ${ago}s ago`, (p) => {
        const ttl = (p.exp as number) - (p.iat as number);
        p.exp = nowSeconds - ago;
        p.iat = (p.exp as number) - (Number.isSafeInteger(ttl) ? ttl : 1800);
      }),
    ),
    fc.oneof(
      fc.integer({ min: LEEWAY + 1, max: 10_000_000 }).map((ahead) =>
        onClaims(`nbf ${ahead}s ahead`, (p) => {
          p.nbf = nowSeconds + ahead;
        }),
      ),
      fc.constantFrom<unknown>('later', null, [nowSeconds], {}).map((nbf) =>
        onClaims(`nbf ${JSON.stringify(nbf)}`, (p) => {
          p.nbf = nbf;
        }),
      ),
    ),
    fc.integer({ min: LEEWAY + 1, max: 10_000_000 }).map((ahead) =>
      onClaims(`iat ${ahead}s ahead`, (p) => {
        p.iat = nowSeconds + ahead;
        p.exp = nowSeconds + ahead + 3600;
      }),
    ),
    fc.constantFrom<unknown>(String(nowSeconds), null, nowSeconds + 0.25, [nowSeconds]).map((iat) =>
      onClaims(`iat ${JSON.stringify(iat)}`, (p) => {
        p.iat = iat;
      }),
    ),
    fc.constantFrom<unknown>('smriti ', 'Smriti', 'evil', '', ['evil'], null, 1).map((iss) =>
      onClaims(`iss ${JSON.stringify(iss)}`, (p) => {
        p.iss = iss;
      }),
    ),
    fc.constantFrom<unknown>('smriti2', 'SMRITI', '', [], ['other'], null, 1).map((aud) =>
      onClaims(`aud ${JSON.stringify(aud)}`, (p) => {
        p.aud = aud;
      }),
    ),
    fc.constantFrom('sub', 'sid', 'jti').chain((name) =>
      fc
        .oneof(
          fc.constantFrom<unknown>('admin', '0', "1' OR '1'='1", '', null, 42, ['x'], { $ne: null }, '../../etc'),
          fc.string({ maxLength: 40 }),
          fc.constant('UPPER'),
        )
        .map((value) =>
          onClaims(`${name} ${JSON.stringify(value)}`, (p) => {
            if (value === 'UPPER') {
              const original = String(p[name]);
              p[name] = differentFrom(original, original.toUpperCase(), `${original}0`);
            } else {
              p[name] = value;
            }
          }),
        ),
    ),
    fc.constantFrom<unknown>('true', 1, null, 'yes', []).map((shared) =>
      onClaims(`shared ${JSON.stringify(shared)}`, (p) => {
        p.shared = shared;
      }),
    ),
    // The payload is not a claims object at all. With the standard "typ":"JWT" header, jws parses it eagerly.
    fc
      .oneof(
        fc.constantFrom('not json', '{', '{"sub":', 'null', '[]', '"access"', '42', 'true', '{"a":1}{', '\u0000'),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.nat({ max: 60 }).map((n) => `{"sub":"${alice.sub}","sid":"${alice.sid}"`.slice(0, n)),
      )
      .map((text) => ({
        label: `payload ${JSON.stringify(text).slice(0, 40)}`,
        apply: (f: Forgery) => {
          f.payload = text;
        },
      })),
    fc.constantFrom('not json', '{', 'null', '[]', '"HS256"', '{"alg":"HS256"').map((text) => ({
      label: `header ${text}`,
      apply: (f: Forgery) => {
        f.header = text;
      },
    })),
    // The signature segment itself.
    fc.constantFrom<Defect>(
      {
        label: 'empty signature',
        apply: (f) => {
          f.signature = () => '';
        },
      },
      {
        label: 'signature with base64 padding',
        apply: (f) => {
          f.signature = (s) => `${s}=`;
        },
      },
      {
        label: 'signature in standard base64',
        apply: (f) => {
          f.signature = (s) => Buffer.from(s, 'base64url').toString('base64');
        },
      },
      {
        label: 'signature of another token',
        apply: (f) => {
          f.signature = () => alice.access.split('.')[2]!;
        },
      },
      {
        label: 'signature upper-cased',
        apply: (f) => {
          f.signature = (s) => differentFrom(s, s.toUpperCase(), `${s}A`);
        },
      },
      {
        label: 'signature of the raw JSON',
        apply: (f) => {
          f.signature = () => hmac('sha256', TEST_JWT_SECRET, `${JSON.stringify(f.header)}.${JSON.stringify(f.payload)}`);
        },
      },
    ),
    fc.integer({ min: 1, max: 42 }).map((n) => ({
      label: `signature short by ${n}`,
      apply: (f: Forgery) => {
        f.signature = (s) => s.slice(0, -n);
      },
    })),
    // Wrong number or shape of segments.
    fc.constantFrom<Defect>(
      {
        label: 'two segments',
        apply: (f) => {
          f.layout = (h, p) => `${h}.${p}`;
        },
      },
      {
        label: 'four segments',
        apply: (f) => {
          f.layout = (h, p, s) => `${h}.${p}.${s}.${s}`;
        },
      },
      {
        label: 'empty header segment',
        apply: (f) => {
          f.layout = (_h, p, s) => `.${p}.${s}`;
        },
      },
      {
        label: 'empty payload segment',
        apply: (f) => {
          f.layout = (h, _p, s) => `${h}..${s}`;
        },
      },
      {
        label: 'trailing dot',
        apply: (f) => {
          f.layout = (h, p, s) => `${h}.${p}.${s}.`;
        },
      },
      {
        label: 'padded header',
        apply: (f) => {
          f.layout = (h, p, s) => `${h}=.${p}.${s}`;
        },
      },
      {
        label: 'newline inside',
        apply: (f) => {
          f.layout = (h, p, s) => `${h}.${p}\n.${s}`;
        },
      },
      {
        label: 'JWE-style five segments',
        apply: (f) => {
          f.layout = (h, p, s) => `${h}..${p}.${s}.${s}`;
        },
      },
    ),
  ];
}

/** Variations a real token may carry; they never repair a defect. */
const neutral: fc.Arbitrary<Defect> = fc.constantFrom<Defect>(
  { label: 'as minted', apply: () => {} },
  onHeader('no header typ', (h) => {
    delete h.typ;
  }),
  onHeader('header typ at+jwt', (h) => {
    h.typ = 'at+jwt';
  }),
  onClaims('an extra claim', (p) => {
    p.role = 'admin';
  }),
  onClaims('nbf in the past', (p) => {
    p.nbf = nowSeconds - 100;
  }),
);

/** A token and how it was made, so a failure report says what the app let through. */
interface Made {
  token: string;
  how: string;
}

function forgedToken(typ: TokenType): fc.Arbitrary<Made> {
  return fc
    .tuple(neutral, fc.array(fc.oneof(...defects(typ)), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([variation, faults, asBob]) => {
      const forgery = baseForgery(typ, asBob ? bob : alice);
      variation.apply(forgery);
      for (const fault of faults) fault.apply(forgery);
      return { token: serialize(forgery), how: `forged ${typ} (${variation.label}; ${faults.map((f) => f.label).join(', ')})` };
    });
}

// ---------------------------------------------------------------------------------------------
// Mutations of real, valid tokens. Every one changes the value the app decodes from the cookie.

const MUTATION_CHARS = `${B64URL}.=+/~*!`;

function mutatedToken(typ: TokenType): fc.Arbitrary<Made> {
  const real = () => [alice[typ], bob[typ]] as const;
  const source = fc.constantFrom(0, 1).map((i) => real()[i]!);
  const parts = (token: string) => token.split('.') as [string, string, string];
  const replaceAt = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);
  const named =
    (how: string) =>
    (token: string): Made => ({ token, how: `real ${typ} token, ${how}` });
  return fc.oneof(
    // One character of the header, payload or signature flipped to another.
    fc
      .tuple(source, fc.constantFrom(0, 1, 2), fc.nat(), fc.constantFrom(...B64URL))
      .map(([token, seg, at, c]) => {
        const segs = parts(token);
        const s = segs[seg];
        const i = at % s.length;
        const next = c !== s[i] ? c : B64URL[(B64URL.indexOf(c) + 1) % B64URL.length]!;
        segs[seg] = replaceAt(s, i, next);
        return segs.join('.');
      })
      .map(named('one character flipped')),
    // A letter's case swapped.
    fc
      .tuple(source, fc.nat())
      .map(([token, at]) => {
        const letters = [...token].map((c, i) => (/[a-z]/i.test(c) ? i : -1)).filter((i) => i >= 0);
        const i = letters[at % letters.length]!;
        const c = token[i]!;
        return replaceAt(token, i, c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase());
      })
      .map(named('one letter case-swapped')),
    fc
      .tuple(source, fc.nat(), fc.constantFrom(...MUTATION_CHARS))
      .map(([token, at, c]) => token.slice(0, at % token.length) + c + token.slice(at % token.length))
      .map(named('one character inserted')),
    fc
      .tuple(source, fc.nat())
      .map(([token, at]) => replaceAt(token, at % token.length, ''))
      .map(named('one character deleted')),
    fc
      .tuple(source, fc.nat())
      .map(([token, at]) => token.slice(0, 1 + (at % (token.length - 1))))
      .map(named('truncated')),
    fc
      .tuple(source, fc.string({ unit: fc.constantFrom(...MUTATION_CHARS), minLength: 1, maxLength: 4 }))
      .map(([token, tail]) => token + tail)
      .map(named('characters appended')),
    // Segments swapped between two people's tokens, or rearranged.
    fc
      .constant(0)
      .map(() => {
        const [h, , s] = parts(alice[typ]);
        return `${h}.${parts(bob[typ])[1]}.${s}`;
      })
      .map(named("payload swapped for another user's")),
    fc
      .constant(0)
      .map(() => {
        const [h, p] = parts(bob[typ]);
        return `${h}.${p}.${parts(alice[typ])[2]}`;
      })
      .map(named("signature swapped for another user's")),
    fc
      .constant(0)
      .map(() => {
        const [h, p, s] = parts(alice[typ]);
        return `${p}.${h}.${s}`;
      })
      .map(named('header and payload swapped')),
    source.map((token) => `${token}.${token}`).map(named('doubled')),
    source
      .map((token) => {
        const [h, p, s] = parts(token);
        const standard = Buffer.from(p, 'base64url').toString('base64');
        return `${h}.${differentFrom(p, standard, `${p}==`)}.${s}`;
      })
      .map(named('payload in padded standard base64')),
    // Real tokens that are not usable here: the other type, expired, revoked, or from another key.
    fc.constant(0).map(
      (): Made => ({
        token: typ === 'access' ? alice.refresh : alice.access,
        how: `a real token of the other type in the ${typ} cookie`,
      }),
    ),
    fc.constant(0).map((): Made => ({ token: expired[typ], how: `a real ${typ} token, expired` })),
    fc.constant(0).map((): Made => ({ token: unknownKey[typ], how: `a real ${typ} token from a key the app does not hold` })),
    fc
      .constant(0)
      .map(
        (): Made =>
          typ === 'refresh'
            ? { token: revokedRefresh, how: 'a real refresh token of a signed-out session' }
            : { token: expired.access, how: 'a real access token, expired' },
      ),
  );
}

// ---------------------------------------------------------------------------------------------
// Junk: anything at all in the cookie value.

/** A value in its header form (printable ASCII), and how it was made. */
interface CookieValue {
  raw: string;
  how: string;
}

const raw = (value: string, how = 'junk'): CookieValue => ({ raw: value, how });
const encoded = (value: string, how = 'junk'): CookieValue => ({ raw: percentEncode(value), how });
const encodedMade = (made: Made): CookieValue => encoded(made.token, made.how);

const junkValue: fc.Arbitrary<CookieValue> = fc.oneof(
  fc.string({ maxLength: 200 }).map(raw),
  fc.array(fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 60 }), { maxLength: 7 }).map((segs) => raw(segs.join('.'))),
  fc
    .array(fc.string({ unit: fc.constantFrom(...`${B64URL}+/=*!$&'()~ `), maxLength: 60 }), { minLength: 3, maxLength: 3 })
    .map((segs) => raw(segs.join('.'))),
  fc
    .tuple(fc.integer({ min: 4000, max: 9000 }), fc.constantFrom('A', 'eyJ', 'a.b.', '%41'))
    .map(([n, unit]) => raw(unit.repeat(Math.ceil(n / unit.length)).slice(0, n))),
  fc.string({ unit: 'grapheme', maxLength: 80 }).map(encoded),
  fc.string({ unit: 'binary', maxLength: 80 }).map(encoded),
  fc.jsonValue({ maxDepth: 3 }).map((v) => encoded(`j:${JSON.stringify(v)}`, 'junk: a cookie-parser JSON cookie')),
  fc
    .constantFrom(
      '%E0%A4%A',
      '%',
      '%zz',
      '%00',
      '%C0%80',
      '%FF%FE',
      'j:',
      'j:{',
      's:abc.def',
      '""',
      '"a.b.c"',
      'undefined',
      'null',
      '[object Object]',
    )
    .map(raw),
);

function badTokenValue(typ: TokenType): fc.Arbitrary<CookieValue> {
  return fc.oneof(
    { weight: 4, arbitrary: forgedToken(typ).map(encodedMade) },
    { weight: 3, arbitrary: mutatedToken(typ).map(encodedMade) },
    { weight: 2, arbitrary: junkValue },
  );
}

/** What goes into one token cookie: absent, one value, or the name twice in one header. */
type Slot = CookieValue[];

function badSlot(typ: TokenType): fc.Arbitrary<Slot> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Slot>([]) },
    { weight: 6, arbitrary: badTokenValue(typ).map((v) => [v]) },
    { weight: 2, arbitrary: fc.tuple(badTokenValue(typ), badTokenValue(typ)).map(([a, b]) => [a, b]) },
  );
}

const noiseCookie: fc.Arbitrary<[string, CookieValue]> = fc.tuple(
  fc.constantFrom(
    'smriti_flash',
    'smriti_flash.sig',
    'theme',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'smriti_access_tokenx',
    'SMRITI_ACCESS_TOKEN',
    'smriti_refresh',
    'xsmriti_refresh_token',
    '',
  ),
  fc.oneof(
    junkValue.filter((v) => v.raw.length < 300),
    fc.jsonValue({ maxDepth: 2 }).map((v) => raw(Buffer.from(JSON.stringify(v)).toString('base64'))),
  ),
);

interface CookieCase {
  header: string | string[] | undefined;
  /** True only when the refresh cookie is an untouched, valid refresh token. */
  validRefresh: boolean;
  /** How the token cookies were made, for the failure report. */
  how: string;
}

interface CaseShape {
  access: Slot;
  refresh: Slot;
  noise: Array<[string, CookieValue]>;
  separator: string;
  split: boolean;
  validRefresh?: boolean;
}

/** Long values share a budget so the header stays below Node's 16 KB limit (431). */
function fitToBudget(values: CookieValue[]): void {
  const longOnes = values.filter((v) => v.raw.length > 1000);
  const shortTotal = values.filter((v) => v.raw.length <= 1000).reduce((n, v) => n + v.raw.length, 0);
  const share = Math.floor((COOKIE_VALUE_BUDGET - shortTotal) / Math.max(1, longOnes.length));
  for (const v of longOnes) v.raw = v.raw.slice(0, share);
}

function assemble(shape: CaseShape): CookieCase {
  const pairs: Array<[string, CookieValue]> = [
    ...shape.access.map((v): [string, CookieValue] => [ACCESS_COOKIE, { ...v }]),
    ...shape.refresh.map((v): [string, CookieValue] => [REFRESH_COOKIE, { ...v }]),
  ];
  const noise = shape.noise.map(([name, v]): [string, CookieValue] => [name, { ...v }]);
  const half = Math.ceil(noise.length / 2);
  const ordered = [...noise.slice(0, half), ...pairs, ...noise.slice(half)];
  fitToBudget(ordered.map(([, v]) => v));
  const lines = ordered.map(([name, v]) => `${name}=${v.raw}`);
  const how = pairs.map(([name, v]) => `${name}: ${v.how}`).join(' | ') || 'no token cookie';
  const validRefresh = Boolean(shape.validRefresh);
  if (lines.length === 0) return { header: undefined, validRefresh, how };
  if (shape.split && lines.length > 1) {
    const cut = Math.ceil(lines.length / 2);
    return { header: [lines.slice(0, cut).join(shape.separator), lines.slice(cut).join(shape.separator)], validRefresh, how };
  }
  return { header: lines.join(shape.separator), validRefresh, how };
}

const separator = fc.constantFrom('; ', ';', ' ; ', ';;  ', ';\t');

function cookieCase(access: fc.Arbitrary<Slot>, refresh: fc.Arbitrary<Slot>, validRefresh = false): fc.Arbitrary<CookieCase> {
  return fc
    .record({
      access,
      refresh,
      separator,
      split: fc.boolean(),
      noise: fc.array(noiseCookie, { maxLength: 4 }),
    })
    .map((shape) => assemble({ ...shape, validRefresh }));
}

/** A whole Cookie header of printable junk; it can hold no real token. */
const junkHeader: fc.Arbitrary<CookieCase> = fc
  .string({ maxLength: 400 })
  .map((header) => ({ header, validRefresh: false, how: 'a Cookie header of junk' }));

const anyValidOrBad = (typ: TokenType) =>
  fc.oneof(
    { weight: 3, arbitrary: badSlot(typ) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1).map((i): Slot => [raw([alice, bob][i]![typ], `a valid ${typ} token`)]) },
  );

// ---------------------------------------------------------------------------------------------

const TOKEN_ERRORS = ['token_missing', 'token_invalid', 'token_expired'];
const REFRESH_ERRORS = ['refresh_missing', 'refresh_invalid', 'refresh_expired', 'refresh_reused', 'refresh_revoked'];

function describeCase(c: CookieCase): string {
  return `${c.how} — Cookie: ${JSON.stringify(c.header)?.slice(0, 600) ?? '(none)'}`;
}

async function refreshRowCount(): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens')).rows[0]!.n;
}

describe('token fuzz', () => {
  it('a hand-signed token with no defect is accepted, so each forgery fails only by its defects', async () => {
    for (const who of [alice, bob]) {
      const access = serialize(baseForgery('access', who));
      const me = await send('GET', '/api/me', `${ACCESS_COOKIE}=${access}`);
      expect(me.status).toBe(200);
      expect(jsonOf(me).id).toBe(who.sub);
      expect((await send('GET', '/journal', `${ACCESS_COOKIE}=${access}`)).status).toBe(200);
      expect((await send('GET', '/api/me', `${ACCESS_COOKIE}=${who.access}`)).status).toBe(200);
    }
  });

  it('GET /api/me answers 401 with a message, never 200 or 5xx, to any bad or missing access cookie', async () => {
    const input = fc.oneof(
      { weight: 9, arbitrary: cookieCase(badSlot('access'), anyValidOrBad('refresh')) },
      { weight: 1, arbitrary: junkHeader },
    );
    const rowsBefore = await refreshRowCount();
    await fc.assert(
      fc.asyncProperty(input, async (c) => {
        const reply = await send('GET', '/api/me', c.header);
        const label = `GET /api/me with ${describeCase(c)}`;
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBeOneOf([400, 401]);
        const body = jsonOf(reply);
        if (reply.status === 401) expect(TOKEN_ERRORS, label).toContain(body.error);
        expect(typeof body.message === 'string' && body.message.length > 0, `${label}: no message`).toBe(true);
        expectNoTokensIssued(reply, label);
      }),
      { numRuns: RUNS.apiMe },
    );
    expect(await refreshRowCount()).toBe(rowsBefore);
  });

  it('GET /journal sends any bad or missing token cookies to /login (303), never renders or 5xx', async () => {
    const input = fc.oneof(
      { weight: 9, arbitrary: cookieCase(badSlot('access'), badSlot('refresh')) },
      { weight: 1, arbitrary: junkHeader },
    );
    await fc.assert(
      fc.asyncProperty(input, async (c) => {
        const rowsBefore = await refreshRowCount();
        const reply = await send('GET', '/journal', c.header);
        const label = `GET /journal with ${describeCase(c)}`;
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBeOneOf([303, 400, 401]);
        if (reply.status === 303) {
          expect(reply.headers.location, label).toMatch(/^\/login\?(flash=session_(expired|ended)&)?next=%2Fjournal$/);
        }
        expectNoTokensIssued(reply, label);
        expect(await refreshRowCount(), `${label}: a refresh token row was written`).toBe(rowsBefore);
      }),
      { numRuns: RUNS.journal },
    );
  });

  it('POST /refresh answers 200 only to an untouched valid refresh token, else 401 with cleared cookies, never 5xx', async () => {
    const input = fc.oneof(
      { weight: 8, arbitrary: cookieCase(anyValidOrBad('access'), badSlot('refresh')) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(0, 1)
          .chain((i) =>
            cookieCase(anyValidOrBad('access'), fc.constant([raw([alice, bob][i]!.refresh, 'a valid refresh token, untouched')]), true),
          ),
      },
      { weight: 1, arbitrary: junkHeader },
    );
    await fc.assert(
      fc.asyncProperty(input, async (c) => {
        const rowsBefore = await refreshRowCount();
        const reply = await send('POST', '/refresh', c.header);
        const label = `POST /refresh with ${describeCase(c)}`;
        const body = jsonOf(reply);
        if (c.validRefresh) {
          expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(200);
          expect(typeof body.accessTokenExpiresAt, label).toBe('number');
          const issued = setCookies(reply).filter((s) => s.name === ACCESS_COOKIE || s.name === REFRESH_COOKIE);
          expect(issued.map((s) => s.name).sort(), label).toEqual([ACCESS_COOKIE, REFRESH_COOKIE]);
          expect(
            issued.every((s) => s.value.length > 0),
            label,
          ).toBe(true);
        } else {
          expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBeOneOf([400, 401]);
          expect(typeof body.message === 'string' && body.message.length > 0, `${label}: no message`).toBe(true);
          expectNoTokensIssued(reply, label);
          if (reply.status === 401) {
            expect(REFRESH_ERRORS, label).toContain(body.error);
            const cleared = setCookies(reply).filter((s) => (s.name === ACCESS_COOKIE || s.name === REFRESH_COOKIE) && s.value === '');
            expect(cleared.map((s) => s.name).sort(), `${label}: both cookies cleared`).toEqual([ACCESS_COOKIE, REFRESH_COOKIE]);
          }
        }
        expect((await refreshRowCount()) - rowsBefore, `${label}: refresh token rows written`).toBe(c.validRefresh ? 1 : 0);
      }),
      { numRuns: RUNS.refresh },
    );
  });

  it('POST /login/two-factor refuses any access, refresh, forged or mutated token as the pending cookie', async () => {
    const asPending = fc.oneof(
      badTokenValue('access'),
      badTokenValue('refresh'),
      fc
        .constantFrom(alice, bob)
        .chain((who) => fc.constantFrom(raw(who.access, 'a valid access token'), raw(who.refresh, 'a valid refresh token'))),
    );
    await fc.assert(
      fc.asyncProperty(asPending, async (value) => {
        const reply = await send('POST', '/login/two-factor', `${PENDING_COOKIE}=${value.raw.slice(0, COOKIE_VALUE_BUDGET)}`);
        const label = `POST /login/two-factor with ${value.how}`;
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBeOneOf([303, 400]);
        if (reply.status === 303) expect(reply.headers.location, label).toBe('/login?flash=sign_in_again');
        expectNoTokensIssued(reply, label);
      }),
      { numRuns: RUNS.pending },
    );
  });
});
