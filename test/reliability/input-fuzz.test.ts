// Property-based fuzzing of every form and JSON input: 2xx/3xx only for valid input, otherwise a 4xx with a
// message for people, never a 5xx, and never a row that no successful answer accounts for.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import bcrypt from 'bcrypt';
import fc from 'fast-check';
import qs from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, passwordProblem } from '../../src/auth/passwords.js';
import type { Db } from '../../src/db/db.js';
import { BODY_MAX_CHARS, TITLE_MAX_CHARS } from '../../src/journal/entries.js';
import { buildTestApp, signedInBrowser, TEST_ORIGIN, TEST_PASSWORD, type TestApp } from '../helpers/app.js';
import { createTestDb } from '../helpers/db.js';
import { percentEncode, type Reply, rawRequest } from '../helpers/raw-http.js';

// Run counts: together with token-fuzz.test.ts this stays well under a minute on two cores. Sign-up,
// sign-in and password change run bcrypt (4 rounds in tests), so they get fewer runs.
const RUNS = { apiCreate: 250, apiUpdate: 250, formCreate: 250, formUpdate: 250, register: 150, login: 200, password: 120 };

// express.json and express.urlencoded in src/app.ts: a 1 MB limit and body-parser's 1000-field limit.
const BODY_LIMIT_BYTES = 1024 * 1024;
const FORM_FIELD_LIMIT = 1000;

// ---------------------------------------------------------------------------------------------
// A small HTTP client on one listening server: exact bodies, content types and cookies.

/** What goes over the wire. */
interface Wire {
  contentType: string | undefined;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let server: http.Server;
let inputs = 0;

function send(method: 'POST' | 'PUT', path: string, wire: Wire, cookie?: string): Promise<Reply> {
  const body = Buffer.from(wire.text, 'utf8');
  const headers: http.OutgoingHttpHeaders = { Origin: TEST_ORIGIN, 'Content-Length': body.length };
  if (wire.contentType !== undefined) headers['Content-Type'] = wire.contentType;
  if (cookie) headers.Cookie = cookie;
  const port = (server.address() as AddressInfo).port;
  return rawRequest({ host: '127.0.0.1', port, method, path, headers, agent }, body);
}

function fuzz(method: 'POST' | 'PUT', path: string, wire: Wire, cookie?: string): Promise<Reply> {
  inputs += 1;
  return send(method, path, wire, cookie);
}

function jsonOf(reply: Reply): Record<string, unknown> {
  try {
    return JSON.parse(reply.text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The sentence a refused form shows: a field error, a form error, or the error page's message. */
function htmlMessage(html: string): string | undefined {
  const match = /class="(?:field-error|form-error)"[^>]*>([^<]+)</.exec(html) ?? /<h1>[^<]*<\/h1>\s*<p>([^<]+)<\/p>/.exec(html);
  return match?.[1]?.trim() || undefined;
}

function expectHumanMessage(reply: Reply, api: boolean, label: string): void {
  if (api) {
    const body = jsonOf(reply);
    expect(typeof body.error, `${label}: JSON error code`).toBe('string');
    expect(
      typeof body.message === 'string' && body.message.trim().length > 0,
      `${label}: JSON message in ${reply.text.slice(0, 200)}`,
    ).toBe(true);
  } else {
    expect(String(reply.headers['content-type']), label).toMatch(/^text\/html/);
    expect(htmlMessage(reply.text), `${label}: no message on the page`).toBeTruthy();
  }
}

/** The answer for input the oracle calls invalid: a 4xx with a message, and the status it predicts when it can. */
function expectRefused(reply: Reply, api: boolean, label: string, statuses: number[]): void {
  expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBeOneOf(statuses);
  expectHumanMessage(reply, api, `${label} → ${reply.status}`);
}

function describeWire(wire: Wire): string {
  const text = wire.text.length > 400 ? `${wire.text.slice(0, 400)}… (${wire.text.length} chars)` : wire.text;
  return `${wire.contentType ?? 'no content type'} ${JSON.stringify(text)}`;
}

// ---------------------------------------------------------------------------------------------
// What the server's body parsers make of a wire body (body-parser 2 as configured in src/app.ts).

type Parsed = { status: number } | { body: unknown };

function parsedByServer(wire: Wire): Parsed {
  const bytes = Buffer.from(wire.text, 'utf8');
  // The server decodes UTF-8 (a lone surrogate arrives as U+FFFD) and drops a byte-order mark.
  const received = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const type = wire.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    const charset = /charset=([^;]+)/i
      .exec(wire.contentType ?? '')?.[1]
      ?.trim()
      .toLowerCase();
    if (charset !== undefined && !charset.startsWith('utf-')) return { status: 415 };
    if (bytes.length > BODY_LIMIT_BYTES) return { status: 413 };
    if (received.length === 0) return { body: {} };
    const first = /^[ \t\n\r]*([\s\S]?)/.exec(received)?.[1];
    if (first !== '{' && first !== '[') return { status: 400 };
    try {
      return { body: JSON.parse(received) as unknown };
    } catch {
      return { status: 400 };
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    if (bytes.length > BODY_LIMIT_BYTES) return { status: 413 };
    if (received.length === 0) return { body: {} };
    const count = received.split('&').length;
    if (count > FORM_FIELD_LIMIT) return { status: 413 };
    return {
      body: qs.parse(received, { allowPrototypes: true, arrayLimit: count, depth: 0, parameterLimit: FORM_FIELD_LIMIT, strictDepth: true }),
    };
  }
  return { body: undefined };
}

/** textFields() in src/http/forms.ts, restated: missing or null is '', a string is itself, anything else is refused. */
function textFieldsOf<K extends string>(body: unknown, names: readonly K[]): Record<K, string> | undefined {
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) return undefined;
  const source = (body ?? {}) as Record<string, unknown>;
  const fields = {} as Record<K, string>;
  for (const name of names) {
    const value = source[name];
    if (value === undefined || value === null) fields[name] = '';
    else if (typeof value === 'string') fields[name] = value;
    else return undefined;
  }
  return fields;
}

/** PostgreSQL stores UTF-8: a lone surrogate is stored, and read back, as U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const bytesOf = (text: string) => Buffer.byteLength(text, 'utf8');

// ---------------------------------------------------------------------------------------------
// Generated values.

function sized(length: number, unit: string): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\r\n',
      '\u00a0',
      '\u2028',
      '\ufeff',
      '\u3000 ',
      '<script>alert(1)</script>',
      "'; DROP TABLE entries; --",
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\uDE00b'), fc.string({ maxLength: 10 }))
      .map((p) => p.join('')),
  },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`) },
  // Lengths either side of the title and entry limits, and a 300 000-character string.
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          TITLE_MAX_CHARS - 1,
          TITLE_MAX_CHARS,
          TITLE_MAX_CHARS + 1,
          BODY_MAX_CHARS - 1,
          BODY_MAX_CHARS,
          BODY_MAX_CHARS + 1,
          300_000,
        ),
        fc.constantFrom('a', ' ', 'é', '😀', 'word ', '\n'),
      )
      .map(([n, unit]) => sized(n, unit)),
  },
);

const anyField: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: text },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) },
);

type Fields = Record<string, unknown>;

/** The named fields, each maybe missing, over a few unrelated keys (prototype names among them). */
function fieldsOf(spec: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Fields> {
  const extraKey = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'title[]', 'body[0]'),
  );
  const extra = fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 });
  return fc.tuple(fc.record(spec, { requiredKeys: [] }), extra).map(([named, more]) => ({ ...more, ...named }));
}

function formEncode(fields: Fields): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      parts.push(`${percentEncode(key)}=${percentEncode(typeof item === 'string' ? item : (JSON.stringify(item) ?? ''))}`);
    }
  }
  return parts.join('&');
}

type Encoding = 'json' | 'form' | 'text/plain' | 'json-latin1' | 'no content type';
type Payload = { fields: Fields; encoding: Encoding } | { contentType: string; raw: string };

const rawText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"title":',
    '{"title":"a"',
    '[',
    '{}}',
    'null',
    '"text"',
    '12',
    '\ufeff{}',
    ' \n{"title":"x","body":"y"}',
    '%',
    '&&==&',
    'title&body',
  ),
  fc
    .integer({ min: FORM_FIELD_LIMIT - 5, max: FORM_FIELD_LIMIT + 200 })
    .map((n) => Array.from({ length: n }, (_, i) => `f${i}=v`).join('&')),
);

function payloadOf(fields: fc.Arbitrary<Fields>): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 5, arbitrary: fields.map((f): Payload => ({ fields: f, encoding: 'json' })) },
    { weight: 4, arbitrary: fields.map((f): Payload => ({ fields: f, encoding: 'form' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fields, fc.constantFrom<Encoding>('text/plain', 'json-latin1', 'no content type'))
        .map(([f, encoding]): Payload => ({ fields: f, encoding })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), rawText)
        .map(([contentType, raw]): Payload => ({ contentType, raw })),
    },
  );
}

function toWire(payload: Payload): Wire {
  if ('raw' in payload) return { contentType: payload.contentType, text: payload.raw };
  switch (payload.encoding) {
    case 'json':
      return { contentType: 'application/json', text: JSON.stringify(payload.fields) };
    case 'json-latin1':
      return { contentType: 'application/json; charset=latin1', text: JSON.stringify(payload.fields) };
    case 'form':
      return { contentType: 'application/x-www-form-urlencoded', text: formEncode(payload.fields) };
    case 'text/plain':
      return { contentType: 'text/plain', text: formEncode(payload.fields) };
    case 'no content type':
      return { contentType: undefined, text: formEncode(payload.fields) };
  }
}

// ---------------------------------------------------------------------------------------------
// Each run is checked against the tables as they were just before it: the request may change exactly
// what its answer accounts for. (A run-by-run diff, not a long-lived model, keeps shrinking honest:
// a failed run that wrote a stray row cannot make later runs fail for its sake.)

/** A row's owner and content, by digest, so 200 000-character bodies are compared cheaply. */
interface RowDigest {
  userId: string;
  title: string;
  body: string;
}

interface Snapshot {
  entries: number;
  users: number;
  sessions: number;
  row: RowDigest | undefined;
}

let db: Db;
let t: TestApp;
/** Normalised emails of every account. */
const users = new Set<string>();
/** Normalised email → password, for every account whose password the test knows. */
const accounts = new Map<string, string>();
let owner: { userId: string; cookie: string };
let otherEntryId: string;
let changer: { userId: string; email: string; cookie: string; password: string; hash: string };

async function count(table: 'entries' | 'users' | 'refresh_tokens'): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}

async function rowDigest(id: string | undefined): Promise<RowDigest | undefined> {
  if (id === undefined) return undefined;
  const result = await db.query<{ user_id: string; t: string; b: string }>(
    'SELECT user_id, md5(title) AS t, md5(body) AS b FROM entries WHERE id = $1',
    [id],
  );
  const row = result.rows[0];
  return row && { userId: row.user_id, title: row.t, body: row.b };
}

const digestOf = (userId: string, title: string, body: string): RowDigest => ({ userId, title: md5(title), body: md5(body) });

async function snapshot(watched?: string): Promise<Snapshot> {
  return {
    entries: await count('entries'),
    users: await count('users'),
    sessions: await count('refresh_tokens'),
    row: await rowDigest(watched),
  };
}

/** The tables differ from `before` by exactly the rows the answer accounted for. */
async function expectChanged(
  label: string,
  before: Snapshot,
  change: { entries?: number; users?: number; sessions?: number; watched?: string; row?: RowDigest | undefined },
) {
  const after = await snapshot(change.watched);
  expect(after.entries - before.entries, `${label}: entries rows added`).toBe(change.entries ?? 0);
  expect(after.users - before.users, `${label}: users rows added`).toBe(change.users ?? 0);
  expect(after.sessions - before.sessions, `${label}: refresh_tokens rows added`).toBe(change.sessions ?? 0);
  if (change.watched !== undefined) {
    expect(after.row, `${label}: entry ${change.watched}`).toEqual('row' in change ? change.row : before.row);
  }
}

async function userIdOf(email: string): Promise<string> {
  return (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [normalise(email)])).rows[0]!.id;
}

async function signUp(): Promise<{ userId: string; email: string; cookie: string }> {
  const { browser, email } = await signedInBrowser(t.app);
  accounts.set(normalise(email), TEST_PASSWORD);
  return { userId: await userIdOf(email), email, cookie: browser.jar.header() };
}

beforeAll(async () => {
  db = await createTestDb();
  t = buildTestApp(db);
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  owner = await signUp();
  const other = await signUp();
  const created = await send(
    'POST',
    '/api/entries',
    { contentType: 'application/json', text: JSON.stringify({ title: 'not yours', body: 'private' }) },
    other.cookie,
  );
  otherEntryId = (JSON.parse(created.text) as { id: string }).id;
  const third = await signUp();
  const stored = await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [third.userId]);
  changer = { ...third, password: TEST_PASSWORD, hash: stored.rows[0]!.password_hash };

  // Accounts whose passwords sit on bcrypt's edge of exactly 72 bytes, and hold 2-byte characters
  // (strong enough to pass the guessability check: 8 bytes of é never are).
  for (const [email, password, bytes] of [
    ['edge72@example.com', 'Ωtters juggle lanterns beside a quiet harbour while gulls argue abΩΩ!', 72],
    ['edge10@example.com', 'kT9#vQ2wé', 10],
  ] as const) {
    expect(bytesOf(password)).toBe(bytes);
    const res = await send('POST', '/register', {
      contentType: 'application/x-www-form-urlencoded',
      text: formEncode({ email, password, password_confirm: password }),
    });
    expect(res.status).toBe(303);
    accounts.set(email, password);
  }
  for (const row of (await db.query<{ email: string }>('SELECT email FROM users')).rows) users.add(row.email);
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
  console.log(`input fuzz: ${inputs} inputs`);
});

// ---------------------------------------------------------------------------------------------
// Journal entries: the JSON API and the plain forms.

type EntryVerdict = { ok: true; title: string; body: string } | { ok: false };

/** checkEntry(), as the contract states it; text PostgreSQL cannot store (a NUL) is bad input, not a 500. */
function entryVerdict(title: unknown, body: unknown): EntryVerdict {
  if (typeof title !== 'string' || typeof body !== 'string') return { ok: false };
  if (title.length > TITLE_MAX_CHARS || body.length > BODY_MAX_CHARS) return { ok: false };
  if (title.trim() === '' && body.trim() === '') return { ok: false };
  if (title.includes('\u0000') || body.includes('\u0000')) return { ok: false };
  return { ok: true, title: wellFormed(title.trim()), body: wellFormed(body) };
}

/** entryFromJson() in src/journal/routes.ts: a JSON object whose missing fields count as ''. */
function apiEntryVerdict(body: unknown): EntryVerdict {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false };
  const fields = body as Record<string, unknown>;
  return entryVerdict(fields.title ?? '', fields.body ?? '');
}

function formEntryVerdict(body: unknown): EntryVerdict {
  const fields = textFieldsOf(body, ['title', 'body'] as const);
  return fields ? entryVerdict(fields.title, fields.body) : { ok: false };
}

type IdPick =
  | { kind: 'own'; n: number; upper: boolean }
  | { kind: 'other' }
  | { kind: 'random'; uuid: string }
  | { kind: 'junk'; text: string };

const idPick: fc.Arbitrary<IdPick> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('own' as const), n: fc.nat(), upper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'other' as const }) },
  { weight: 1, arbitrary: fc.uuid().map((uuid) => ({ kind: 'random' as const, uuid })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ minLength: 1, maxLength: 40 }).map(percentEncode),
        fc.constantFrom(
          '%',
          '%zz',
          '%E0%A4%A',
          '..',
          '.',
          'new',
          '00000000-0000-0000-0000-00000000000g',
          '%7B00000000-0000-4000-8000-000000000000%7D',
          '1',
        ),
      )
      .map((path) => ({ kind: 'junk' as const, text: path })),
  },
);

/** The path segment to send; `target` is the owner's entry it names, `watched` the row that must not change unless it is the target. */
async function resolveId(pick: IdPick): Promise<{ segment: string; target: string | undefined; watched: string | undefined }> {
  if (pick.kind === 'own') {
    const own = (await db.query<{ id: string }>('SELECT id FROM entries WHERE user_id = $1 ORDER BY id', [owner.userId])).rows;
    if (own.length === 0) return { segment: '00000000-0000-4000-8000-000000000001', target: undefined, watched: undefined };
    const id = own[pick.n % own.length]!.id;
    return { segment: pick.upper ? id.toUpperCase() : id, target: id, watched: id };
  }
  if (pick.kind === 'other') return { segment: otherEntryId, target: undefined, watched: otherEntryId };
  if (pick.kind === 'random') return { segment: pick.uuid, target: undefined, watched: undefined };
  return { segment: pick.text, target: undefined, watched: undefined };
}

const entryPayload = payloadOf(fieldsOf({ title: anyField, body: anyField }));

describe('input fuzz: journal entries', () => {
  it('POST /api/entries creates a row only for a valid entry, else answers 4xx JSON with a message', async () => {
    await fc.assert(
      fc.asyncProperty(entryPayload, async (payload) => {
        const wire = toWire(payload);
        const label = `POST /api/entries ${describeWire(wire)}`;
        const before = await snapshot();
        const reply = await fuzz('POST', '/api/entries', wire, owner.cookie);
        const parsed = parsedByServer(wire);
        const verdict: EntryVerdict = 'status' in parsed ? { ok: false } : apiEntryVerdict(parsed.body);
        if (!verdict.ok) {
          expectRefused(reply, true, label, 'status' in parsed ? [parsed.status] : [400]);
          return expectChanged(label, before, {});
        }
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(201);
        const created = jsonOf(reply) as { id: string; title: string; body: string };
        expect(created.title === verdict.title && created.body === verdict.body, `${label}: answered with other text`).toBe(true);
        await expectChanged(label, before, { entries: 1, watched: created.id, row: digestOf(owner.userId, verdict.title, verdict.body) });
      }),
      { numRuns: RUNS.apiCreate },
    );
  });

  it("PUT /api/entries/:id changes only the owner's named entry, only for valid input, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(idPick, entryPayload, async (pick, payload) => {
        const { segment, target, watched } = await resolveId(pick);
        const wire = toWire(payload);
        const label = `PUT /api/entries/${segment} ${describeWire(wire)}`;
        const before = await snapshot(watched);
        const reply = await fuzz('PUT', `/api/entries/${segment}`, wire, owner.cookie);
        const parsed = parsedByServer(wire);
        const verdict: EntryVerdict = 'status' in parsed ? { ok: false } : apiEntryVerdict(parsed.body);
        if ('status' in parsed) {
          expectRefused(reply, true, label, [parsed.status]);
        } else if (pick.kind === 'junk') {
          expectRefused(reply, true, label, [400, 404]);
        } else if (!verdict.ok) {
          expectRefused(reply, true, label, [400]);
        } else if (target === undefined) {
          expectRefused(reply, true, label, [404]);
        }
        if (!verdict.ok || target === undefined || pick.kind === 'junk') return expectChanged(label, before, { watched });
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(200);
        const saved = jsonOf(reply) as { id: string; title: string; body: string };
        expect(saved.id, label).toBe(target);
        expect(saved.title === verdict.title && saved.body === verdict.body, `${label}: answered with other text`).toBe(true);
        await expectChanged(label, before, { watched, row: digestOf(owner.userId, verdict.title, verdict.body) });
      }),
      { numRuns: RUNS.apiUpdate },
    );
  });

  it('POST /journal (form) creates a row and redirects only for a valid entry, else shows the form with a message', async () => {
    await fc.assert(
      fc.asyncProperty(entryPayload, async (payload) => {
        const wire = toWire(payload);
        const label = `POST /journal ${describeWire(wire)}`;
        const before = await snapshot();
        const reply = await fuzz('POST', '/journal', wire, owner.cookie);
        const parsed = parsedByServer(wire);
        const verdict: EntryVerdict = 'status' in parsed ? { ok: false } : formEntryVerdict(parsed.body);
        if (!verdict.ok) {
          expectRefused(reply, false, label, 'status' in parsed ? [parsed.status] : [400]);
          return expectChanged(label, before, {});
        }
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(303);
        const id = /^\/journal\/([0-9a-f-]{36})$/.exec(String(reply.headers.location))?.[1];
        expect(id, `${label}: redirected to ${reply.headers.location}`).toBeDefined();
        await expectChanged(label, before, { entries: 1, watched: id, row: digestOf(owner.userId, verdict.title, verdict.body) });
      }),
      { numRuns: RUNS.formCreate },
    );
  });

  it("POST /journal/:id (form) changes only the owner's named entry, only for valid input, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(idPick, entryPayload, async (pick, payload) => {
        const { segment, target, watched } = await resolveId(pick);
        const wire = toWire(payload);
        const label = `POST /journal/${segment} ${describeWire(wire)}`;
        const before = await snapshot(watched);
        const reply = await fuzz('POST', `/journal/${segment}`, wire, owner.cookie);
        const parsed = parsedByServer(wire);
        // The entry is looked up before the form is read: a stranger's or unknown id is 404 whatever the form says.
        const verdict: EntryVerdict = 'status' in parsed ? { ok: false } : formEntryVerdict(parsed.body);
        if ('status' in parsed) {
          expectRefused(reply, false, label, [parsed.status]);
        } else if (pick.kind === 'junk') {
          expectRefused(reply, false, label, [400, 404]);
        } else if (target === undefined) {
          expectRefused(reply, false, label, [404]);
        } else if (!verdict.ok) {
          expectRefused(reply, false, label, [400]);
        }
        if (!verdict.ok || target === undefined || pick.kind === 'junk') return expectChanged(label, before, { watched });
        expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(303);
        expect(reply.headers.location, label).toBe(`/journal/${target}`);
        await expectChanged(label, before, { watched, row: digestOf(owner.userId, verdict.title, verdict.body) });
      }),
      { numRuns: RUNS.formUpdate },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Accounts: sign-up, sign-in and password change.

const emailSchema = z.email().max(254);
/** The app's email rule: zod's email check on the trimmed text (src/auth/routes.ts). */
const validEmail = (email: string) => email.trim() !== '' && emailSchema.safeParse(email.trim()).success;
function normalise(email: string): string {
  return email.trim().toLowerCase();
}
// The length rule, then the guessability check itself (its own cases are in test/auth/password-strength.test.ts).
const passwordFits = async (password: string, email?: string) =>
  bytesOf(password) >= PASSWORD_MIN_BYTES &&
  bytesOf(password) <= PASSWORD_MAX_BYTES &&
  (await passwordProblem(password, email)) === undefined;

/** Passwords around the rules: 7, 8, 72 and 73 bytes, multi-byte characters, a NUL. */
const passwordText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 8, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.integer({ min: PASSWORD_MIN_BYTES - 2, max: PASSWORD_MAX_BYTES + 2 }).map((n) => sized(n, 'k')) },
  { weight: 1, arbitrary: fc.constantFrom(35, 36, 37).map((n) => 'é'.repeat(n)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 3, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 4, maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
  { weight: 1, arbitrary: text },
);

/** Ways to get a known password slightly wrong. bcrypt cannot tell two of them from the real one. */
type Mutation = 'append' | 'flip' | 'drop-last' | 'upper' | 'nul-then-itself' | 'nul-suffix' | 'spaces' | 'doubled';
type PasswordPick = { use: 'exact' } | { use: 'mutated'; how: Mutation; c: string; n: number } | { use: 'value'; value: unknown };

const passwordPick: fc.Arbitrary<PasswordPick> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<PasswordPick>({ use: 'exact' }) },
  {
    weight: 4,
    arbitrary: fc.record({
      use: fc.constant('mutated' as const),
      how: fc.constantFrom<Mutation>('append', 'flip', 'drop-last', 'upper', 'nul-then-itself', 'nul-suffix', 'spaces', 'doubled'),
      c: fc.constantFrom('x', '1', ' ', 'é', '!'),
      n: fc.nat(),
    }),
  },
  { weight: 2, arbitrary: anyField.map((value): PasswordPick => ({ use: 'value', value })) },
);

function mutate(password: string, how: Mutation, c: string, n: number): string {
  const i = n % Math.max(1, password.length);
  switch (how) {
    // bcrypt reads only the first 72 bytes: after a 72-byte password, anything appended is ignored.
    case 'append':
      return password + c;
    case 'flip':
      return password.slice(0, i) + (password[i] === c ? '#' : c) + password.slice(i + 1);
    case 'drop-last':
      return password.length > 1 ? password.slice(0, -1) : `${password}${password}`;
    case 'upper':
      return password.toUpperCase() !== password ? password.toUpperCase() : `${password}A`;
    // bcrypt hashes the key with its terminating NUL, cycled to 72 bytes: "p\0p" makes the same key as "p".
    case 'nul-then-itself':
      return `${password}\u0000${password}`;
    case 'nul-suffix':
      return `${password}\u0000`;
    case 'spaces':
      return ` ${password} `;
    case 'doubled':
      return password + password;
  }
}

function resolvePassword(known: string, pick: PasswordPick): unknown {
  if (pick.use === 'exact') return known;
  if (pick.use === 'value') return pick.value;
  return mutate(known, pick.how, pick.c, pick.n);
}

const accountEncoding = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom<Encoding>('form', 'json') },
  { weight: 1, arbitrary: fc.constantFrom<Encoding>('text/plain', 'json-latin1', 'no content type') },
);
const extraFields = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'email[]')),
  fc.jsonValue({ maxDepth: 1 }),
  { maxKeys: 2 },
);

async function userExists(email: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [normalise(email)])).rowCount > 0;
}

describe('input fuzz: accounts', () => {
  it('POST /register creates a user only for a valid, new email and matching passwords, else 4xx with a message', async () => {
    const email = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.nat({ max: 40 })).map(([name, n]) => `${name}.${n}@example.com`),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(...accounts.keys()).chain((known) => fc.constantFrom(known, known.toUpperCase(), ` ${known} `)),
      },
      { weight: 1, arbitrary: fc.emailAddress() },
      { weight: 2, arbitrary: anyField },
    );
    const plan = fc.record({
      email,
      password: passwordText,
      confirm: fc.oneof({ weight: 4, arbitrary: fc.constant<PasswordPick>({ use: 'exact' }) }, { weight: 1, arbitrary: passwordPick }),
      omit: fc.subarray(['email', 'password', 'password_confirm']),
      encoding: accountEncoding,
      extra: extraFields,
    });
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const fields: Fields = {
          ...p.extra,
          email: p.email,
          password: p.password,
          password_confirm: resolvePassword(p.password, p.confirm),
        };
        for (const name of p.omit) delete fields[name];
        const wire = toWire({ fields, encoding: p.encoding });
        const label = `POST /register ${describeWire(wire)}`;
        const before = await snapshot();
        const reply = await fuzz('POST', '/register', wire);
        const parsed = parsedByServer(wire);
        const form = 'status' in parsed ? undefined : textFieldsOf(parsed.body, ['email', 'password', 'password_confirm'] as const);
        const valid =
          form !== undefined &&
          validEmail(form.email) &&
          (await passwordFits(form.password, form.email)) &&
          form.password === form.password_confirm;
        const taken = form !== undefined && users.has(normalise(form.email));
        // Keep the model true to the table whatever the verdict, so one failure cannot cascade.
        if (form !== undefined && !taken && validEmail(form.email) && (await userExists(form.email))) {
          users.add(normalise(form.email));
          accounts.set(normalise(form.email), form.password);
        }
        const nul = form?.password.includes('\u0000') ?? false;
        if ('status' in parsed) {
          expectRefused(reply, false, label, [parsed.status]);
        } else if (!valid) {
          expectRefused(reply, false, label, [400]);
        } else if (taken) {
          expectRefused(reply, false, label, nul ? [400, 409] : [409]);
        } else if (!(nul && reply.status === 400)) {
          expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(303);
          expect(reply.headers.location, label).toBe('/journal');
          return expectChanged(label, before, { users: 1, sessions: 1 });
        } else {
          // A NUL in a password may be refused (see the sign-in property); then the page must say why.
          expectHumanMessage(reply, false, label);
        }
        await expectChanged(label, before, {});
      }),
      { numRuns: RUNS.register },
    );
  });

  it("POST /login signs in only with an account's exact password, else 400/401 with a message and no session", async () => {
    const known = [...accounts.entries()];
    const plan = fc.record({
      account: fc.nat({ max: known.length - 1 }),
      emailStyle: fc.constantFrom('exact', 'upper', 'spaces', 'unknown', 'junk'),
      junkEmail: anyField,
      password: passwordPick,
      next: fc.option(
        fc.oneof(text, fc.constantFrom('/journal/new', '//evil.example', '/\\evil', 'https://evil.example', '/account?x=1#y')),
      ),
      shared: fc.option(text),
      encoding: accountEncoding,
      extra: extraFields,
    });
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const [email, password] = known[p.account]!;
        const sentEmail = {
          exact: email,
          upper: email.toUpperCase(),
          spaces: `  ${email}\t`,
          unknown: `nobody.${email}`,
          junk: p.junkEmail,
        }[p.emailStyle];
        const fields: Fields = { ...p.extra, email: sentEmail, password: resolvePassword(password, p.password) };
        if (p.next !== null) fields.next = p.next;
        if (p.shared !== null) fields.shared_computer = p.shared;
        const wire = toWire({ fields, encoding: p.encoding });
        const label = `POST /login (the account's password is ${JSON.stringify(password)}) ${describeWire(wire)}`;
        const before = await snapshot();
        const reply = await fuzz('POST', '/login', wire);
        const parsed = parsedByServer(wire);
        const form = 'status' in parsed ? undefined : textFieldsOf(parsed.body, ['email', 'password', 'next', 'shared_computer'] as const);
        if ('status' in parsed) {
          expectRefused(reply, false, label, [parsed.status]);
        } else if (form === undefined || !validEmail(form.email) || form.password === '') {
          expectRefused(reply, false, label, [400]);
        } else if (accounts.get(normalise(form.email)) !== form.password) {
          expectRefused(reply, false, label, [401]);
          const tokens = (reply.headers['set-cookie'] ?? []).filter((c) => /^smriti_(access|refresh)_token=[^;]/.test(c));
          expect(tokens, `${label}: a refused sign-in set token cookies`).toEqual([]);
        } else {
          expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(303);
          expect(String(reply.headers.location), `${label}: sent off-site`).toMatch(/^\/(?![/\\])/);
          return expectChanged(label, before, { sessions: 1 });
        }
        await expectChanged(label, before, {});
      }),
      { numRuns: RUNS.login },
    );
  });

  it('POST /account/password changes the hash only for the right current password and a valid new one', async () => {
    const plan = fc.record({
      current: passwordPick,
      next: passwordText,
      confirm: fc.oneof({ weight: 4, arbitrary: fc.constant<PasswordPick>({ use: 'exact' }) }, { weight: 1, arbitrary: passwordPick }),
      omit: fc.subarray(['current_password', 'new_password', 'new_password_confirm']),
      encoding: accountEncoding,
      extra: extraFields,
    });
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const current = changer.password;
        const fields: Fields = {
          ...p.extra,
          current_password: resolvePassword(current, p.current),
          new_password: p.next,
          new_password_confirm: resolvePassword(p.next, p.confirm),
        };
        for (const name of p.omit) delete fields[name];
        const wire = toWire({ fields, encoding: p.encoding });
        const label = `POST /account/password (the current password is ${JSON.stringify(current)}) ${describeWire(wire)}`;
        const before = await snapshot();
        const reply = await fuzz('POST', '/account/password', wire, changer.cookie);
        const parsed = parsedByServer(wire);
        const form =
          'status' in parsed ? undefined : textFieldsOf(parsed.body, ['current_password', 'new_password', 'new_password_confirm'] as const);
        const valid =
          form !== undefined &&
          form.current_password !== '' &&
          (await passwordFits(form.new_password, changer.email)) &&
          form.new_password === form.new_password_confirm;

        // Read what the table now holds and keep the model true to it before judging, so one failure cannot cascade.
        const hash = (await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [changer.userId])).rows[0]!
          .password_hash;
        const changed = hash !== changer.hash;
        if (changed) {
          expect(
            form !== undefined && (await bcrypt.compare(form.new_password, hash)),
            `${label}: the hash changed to something other than the new password`,
          ).toBe(true);
          changer.password = form!.new_password;
          changer.hash = hash;
          accounts.set(normalise(changer.email), changer.password);
        }

        if ('status' in parsed) {
          expectRefused(reply, false, label, [parsed.status]);
        } else if (!valid || form.current_password !== current) {
          expectRefused(reply, false, label, [400]);
        } else if (form.new_password.includes('\u0000') && reply.status === 400) {
          expectHumanMessage(reply, false, label);
        } else {
          expect(reply.status, `${label} → ${reply.status} ${reply.text.slice(0, 300)}`).toBe(303);
          expect(reply.headers.location, label).toBe('/account');
          expect(changed, `${label}: answered 303 but the hash did not change`).toBe(true);
          return expectChanged(label, before, {});
        }
        expect(changed, `${label}: refused, yet the password hash changed`).toBe(false);
        await expectChanged(label, before, {});
      }),
      { numRuns: RUNS.password },
    );
  });
});
