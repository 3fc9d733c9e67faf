// The shape of src/: which folder may import which (one direction, no cycle), and the few rules
// about single modules that the layout depends on. Reads import lines as text, type-only ones too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Each file of src/ (as a path under src/) with the modules it imports: other src/ files as paths, packages by name. */
const IMPORTS = new Map(
  sourceFiles().map((file) => {
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm),
      ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g),
    ].map((m) => m[1]!);
    const targets = specifiers.map((s) => (s.startsWith('.') ? relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts') : s));
    return [relative(SRC, file), targets] as const;
  }),
);

/** A folder (`auth/`) or a file at the top of src/ (`audit.ts`). */
const unitOf = (path: string) => (path.includes('/') ? `${path.split('/')[0]}/` : path);

/** The composition: the only files that know every feature (and the bag of collaborators they hand out). */
const COMPOSITION = new Set(['app.ts', 'server.ts', 'context.ts']);

/** The ground: imports no feature. Every unit may import these (and its own folder). */
const GROUND: Record<string, readonly string[]> = {
  'config.ts': [],
  'uuid.ts': [],
  'events.ts': [],
  'lifecycle.ts': [],
  'logger.ts': ['config.ts'],
  'mail.ts': ['config.ts'],
  'db/': ['config.ts'],
  'audit.ts': ['db/'],
  'time-zone.ts': ['db/'],
  'client.ts': ['audit.ts'],
  'http/': ['config.ts', 'db/', 'lifecycle.ts'],
  // Outside src/: the Markdown rules the server shares with the browser (public/js/markdown-rules.js).
  '../': [],
};

/** Features, from the bottom up: each may import the ground, context.ts (types), and the units listed. */
const FEATURES: Record<string, readonly string[]> = {
  'auth/': [],
  'sign-in/': ['auth/'],
  'journal/': ['auth/'],
  // Sealed journals: keys, state and the batches that seal; the journal itself only knows its state.
  'sealing/': ['auth/', 'sign-in/', 'journal/'],
  'account/': ['auth/', 'sign-in/', 'journal/', 'sealing/'],
  'mfa/': ['auth/', 'sign-in/', 'account/'],
  // A passkey that wraps a sealed journal's key takes its wrapper with it when removed.
  'passkeys/': ['auth/', 'sign-in/', 'account/', 'sealing/'],
  'identity/': ['auth/', 'sign-in/', 'account/'],
  'notify/': ['auth/', 'sign-in/'],
  'reminders/': ['auth/'],
  // The jobs that delete expired rows, and the command that runs them once.
  'prune.ts': ['auth/', 'sign-in/', 'journal/', 'account/', 'passkeys/', 'identity/'],
  'prune-cli.ts': ['prune.ts'],
};

function allowedFor(unit: string): Set<string> | undefined {
  if (unit in GROUND) return new Set(GROUND[unit]);
  if (unit in FEATURES) return new Set([...Object.keys(GROUND), 'context.ts', ...FEATURES[unit]!]);
  return undefined;
}

/** Every import from one unit to another, outside the composition. */
const CROSSINGS = [...IMPORTS].flatMap(([file, targets]) =>
  COMPOSITION.has(file)
    ? []
    : targets.filter((t) => t.endsWith('.ts')).flatMap((t) => (unitOf(t) === unitOf(file) ? [] : [[file, t] as const])),
);

/** The cycles of a graph given as node → nodes it points to (Tarjan's strongly connected components, size > 1). */
function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

function graphOf(edges: ReadonlyArray<readonly [string, string]>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of edges) graph.set(from, (graph.get(from) ?? new Set()).add(to));
  return graph;
}

describe('the direction of imports in src/', () => {
  it('reads every file, including the ones that cross from folder to folder', () => {
    expect(IMPORTS.size).toBeGreaterThan(30);
    expect(IMPORTS.get('auth/routes.ts')).toContain('auth/sessions.ts');
    expect(CROSSINGS).toContainEqual(['passkeys/method.ts', 'sign-in/methods.ts']);
  });

  it('names every folder and top-level file of src/ in the table (composition aside)', () => {
    const units = new Set([...IMPORTS.keys()].map(unitOf).filter((u) => !COMPOSITION.has(u)));
    expect([...units].filter((u) => allowedFor(u) === undefined)).toEqual([]);
  });

  it('imports nothing from outside src/ but the Markdown rules shared with the browser', () => {
    const outside = CROSSINGS.filter(([, target]) => target.startsWith('../')).map(([, target]) => target);
    expect(new Set(outside)).toEqual(new Set(['../public/js/markdown-rules.ts']));
  });

  it('checks every import from one folder or top-level file to another against the table', () => {
    const refused = CROSSINGS.filter(([file, target]) => !allowedFor(unitOf(file))!.has(unitOf(target))).map(([f, t]) => `${f} -> ${t}`);
    expect(refused).toEqual([]);
  });

  it('has no cycle between folders and top-level files, app.ts and server.ts included (context.ts, the bag of types, aside)', () => {
    const edges = [...IMPORTS].flatMap(([file, targets]) =>
      targets.filter((t) => t.endsWith('.ts') && unitOf(t) !== unitOf(file)).map((t) => [unitOf(file), unitOf(t)] as const),
    );
    expect(cyclesOf(graphOf(edges.filter(([from]) => from !== 'context.ts')))).toEqual([]);
  });

  it('has no cycle between files either (journal/cjk.ts and journal/search.ts included)', () => {
    const edges = [...IMPORTS].flatMap(([file, targets]) => targets.filter((t) => t.endsWith('.ts')).map((t) => [file, t] as const));
    const composition = [...COMPOSITION];
    expect(cyclesOf(graphOf(edges.filter(([from]) => !composition.includes(from))))).toEqual([]);
  });

  it('lets only createApp (app.ts) import notify/: features emit security events, they never call up', () => {
    const importers = [...IMPORTS].filter(([file, targets]) => !file.startsWith('notify/') && targets.some((t) => t.startsWith('notify/')));
    expect(importers.map(([file]) => file)).toEqual(['app.ts']);
  });

  it('keeps auth/ free of every way in, notice, account and journal module', () => {
    const upward = CROSSINGS.filter(
      ([file, t]) => file.startsWith('auth/') && /^(sign-in|mfa|passkeys|identity|notify|account|journal)\//.test(t),
    );
    expect(upward).toEqual([]);
  });

  it('keeps sign-in/ free of every way in and factor: they register with it', () => {
    expect(CROSSINGS.filter(([file, t]) => file.startsWith('sign-in/') && /^(mfa|passkeys|identity|notify)\//.test(t))).toEqual([]);
  });

  it('keeps account/ free of every feature whose section it shows', () => {
    expect(CROSSINGS.filter(([file, t]) => file.startsWith('account/') && /^(mfa|passkeys|identity|notify)\//.test(t))).toEqual([]);
  });

  it('tokens.ts knows neither Express nor the database, and config.ts imports nothing of the app', () => {
    expect((IMPORTS.get('auth/tokens.ts') ?? []).filter((target) => /^(express|pg|db\/|http\/)/.test(target))).toEqual([]);
    expect((IMPORTS.get('config.ts') ?? []).filter((target) => !target.startsWith('node:') && !['zod', 'dotenv'].includes(target))).toEqual(
      [],
    );
  });

  it("passkeys' ceremonies and tables know neither Express nor any route", () => {
    const core = ['passkeys/ceremonies.ts', 'passkeys/challenges.ts', 'passkeys/credentials.ts', 'passkeys/assertions.ts'];
    const found = core.flatMap((file) => (IMPORTS.get(file) ?? []).filter((t) => t === 'express' || t.endsWith('routes.ts')));
    expect(found).toEqual([]);
  });

  it('only config.ts reads process.env', () => {
    const readers = [...IMPORTS.keys()].filter((file) => readFileSync(join(SRC, file), 'utf8').includes('process.env'));
    expect(readers).toEqual(['config.ts']);
  });
});
