// vitest.config.ts runs test files one after another in a shared process (isolate: false), which
// saves each file importing the whole app again. That holds only while no file changes what the
// next one would see: these checks keep it so.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST = join(import.meta.dirname, '..');
const SETUP = 'helpers/setup.ts';

function testFiles(dir = TEST): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** What would outlive its file: module mocks, stubbed globals or variables, fake clocks, written env. */
const PROCESS_WIDE = [
  /\bvi\.(?:do)?mock\(/,
  /\bvi\.stub(?:Env|Global)\(/,
  /\bvi\.useFakeTimers\(/,
  /\bprocess\.env(?:\.\w+|\[[^\]]+\])\s*=(?!=)/,
  /\bdelete\s+process\.env\b/,
  /\bglobalThis\.\w+\s*=(?!=)/,
];

describe('test files that share a worker process', () => {
  const files = testFiles().map((file) => [relative(TEST, file), readFileSync(file, 'utf8')] as const);

  it('reads every test file', () => {
    expect(files.length).toBeGreaterThan(60);
    expect(files.map(([name]) => name)).toContain('architecture/shared-workers.test.ts');
  });

  it('change nothing process-wide: no module mocks, stubs, fake timers or env writes (setup.ts aside)', () => {
    const offenders = files
      .filter(([name]) => name !== SETUP && name !== 'architecture/shared-workers.test.ts')
      .flatMap(([name, text]) => PROCESS_WIDE.filter((pattern) => pattern.test(text)).map((pattern) => `${name}: ${pattern}`));
    expect(offenders).toEqual([]);
  });

  it('catches such a change when one is written', () => {
    const sample = "vi.mock('../src/config.js');\nprocess.env.JWT_SECRET = 'x';";
    expect(PROCESS_WIDE.filter((pattern) => pattern.test(sample))).toHaveLength(2);
  });
});
