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

  it('auth/ knows no way in: it never imports identity/ (identity builds on auth)', () => {
    expect(importsOf('auth/').filter(([, target]) => target.startsWith('identity/'))).toEqual([]);
  });

  it('account/ and identity/ meet at narrow seams: the account page section one way, the mailer, reset links and page the other', () => {
    expect(
      importsOf('account/').filter(([, target]) => target.startsWith('identity/') && target !== 'identity/account-section.ts'),
    ).toEqual([]);
    const allowed = ['account/mail.ts', 'account/password-reset.ts', 'account/page.ts'];
    expect(importsOf('identity/').filter(([, target]) => target.startsWith('account/') && !allowed.includes(target))).toEqual([]);
    expect(importsOf('identity/account-section.ts').filter(([, target]) => target.startsWith('account/'))).toEqual([]);
  });

  it('auth/ reaches notify/ only through its two doors: rememberDevice and sendSecurityEmail', () => {
    const doors = ['notify/devices.ts', 'notify/security-email.ts'];
    expect(importsOf('auth/').filter(([, target]) => target.startsWith('notify/') && !doors.includes(target))).toEqual([]);
  });

  it('notify/ builds on auth/ and never on its middleware or routes, except the activity page (no cycle)', () => {
    const upward = importsOf('notify/').filter(
      ([file, target]) => file !== 'notify/routes.ts' && ['auth/middleware.ts', 'auth/routes.ts'].includes(target),
    );
    expect(upward).toEqual([]);
    expect(importsOf('notify/').filter(([, target]) => target.startsWith('account/') && target !== 'account/mail.ts')).toEqual([]);
  });

  it('audit.ts, time-zone.ts and db/ sit below every feature', () => {
    const features = /^(auth|account|journal|http|notify|mfa|sign-in|identity)\//;
    const below = [...importsOf('audit.ts'), ...importsOf('time-zone.ts'), ...importsOf('db/')];
    expect(below.filter(([, target]) => features.test(target))).toEqual([]);
  });

  it('tokens.ts knows neither Express nor the database, and config.ts imports nothing of the app', () => {
    expect(importsOf('auth/tokens.ts').filter(([, target]) => /^(express|pg|db\/|http\/)/.test(target))).toEqual([]);
    expect(importsOf('config.ts').filter(([, target]) => !target.startsWith('node:') && !['zod'].includes(target))).toEqual([]);
  });

  it('only config.ts reads process.env', () => {
    const readers = [...IMPORTS.keys()].filter((file) => readFileSync(join(SRC, file), 'utf8').includes('process.env'));
    expect(readers).toEqual(['config.ts']);
  });
});
