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
    const specifiers = [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    const targets = specifiers.map((s) => (s.startsWith('.') ? relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts') : s));
    return [relative(SRC, file), targets] as const;
  }),
);

function importsOf(prefix: string): Array<[string, string]> {
  return [...IMPORTS]
    .filter(([file]) => file.startsWith(prefix))
    .flatMap(([file, targets]) => targets.map((t): [string, string] => [file, t]));
}

describe('the direction of imports in src/', () => {
  it('reads every file (the check sees the tree)', () => {
    expect(IMPORTS.size).toBeGreaterThan(30);
    expect(IMPORTS.get('auth/routes.ts')).toContain('auth/sessions.ts');
  });

  it('auth/ never imports from account/ (account builds on auth, not the reverse)', () => {
    expect(importsOf('auth/').filter(([, target]) => target.startsWith('account/'))).toEqual([]);
  });

  it('journal/ imports no other feature but auth', () => {
    expect(importsOf('journal/').filter(([, target]) => target.startsWith('account/'))).toEqual([]);
  });

  it('audit.ts and db/ sit below every feature', () => {
    const features = /^(auth|account|journal|http|mfa|passkeys|sign-in)\//;
    expect([...importsOf('audit.ts'), ...importsOf('db/')].filter(([, target]) => features.test(target))).toEqual([]);
  });

  it('tokens.ts knows neither Express nor the database, and config.ts imports nothing of the app', () => {
    expect(importsOf('auth/tokens.ts').filter(([, target]) => /^(express|pg|db\/|http\/)/.test(target))).toEqual([]);
    expect(importsOf('config.ts').filter(([, target]) => !target.startsWith('node:') && !['zod'].includes(target))).toEqual([]);
  });

  it('auth/ knows no way in: passkeys, two-step codes and the sign-in flow build on it', () => {
    expect(importsOf('auth/').filter(([, target]) => /^(mfa|passkeys|sign-in)\//.test(target))).toEqual([]);
  });

  it("passkeys' ceremonies and tables know neither Express nor any route", () => {
    const core = ['passkeys/ceremonies.ts', 'passkeys/challenges.ts', 'passkeys/credentials.ts', 'passkeys/assertions.ts'];
    const found = core.flatMap((file) => importsOf(file)).filter(([, target]) => target === 'express' || target.endsWith('routes.ts'));
    expect(found).toEqual([]);
  });

  it('only config.ts reads process.env', () => {
    const readers = [...IMPORTS.keys()].filter((file) => readFileSync(join(SRC, file), 'utf8').includes('process.env'));
    expect(readers).toEqual(['config.ts']);
  });
});
