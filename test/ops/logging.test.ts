import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs a real process that logs one line the way the server's logger does, and returns its stdout. */
async function logOneLine(format: 'json' | 'pretty'): Promise<string> {
  const script = `import { createProcessLogger } from './src/logger.ts';
    createProcessLogger('info', '${format}').info({ password: 'hunter2', entries: 3 }, 'journal opened');`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
  });
  return stdout;
}

describe('process logs', () => {
  it('writes pretty, readable lines with pino-pretty when asked (development at a terminal)', async () => {
    const out = await logOneLine('pretty');
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): journal opened$/m);
    expect(out).toMatch(/entries: 3/);
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('hunter2');
    expect(() => JSON.parse(out.split('\n')[0]!)).toThrow();
  });

  it('writes one JSON object per line otherwise', async () => {
    const line = JSON.parse((await logOneLine('json')).trim());
    expect(line).toMatchObject({ level: 30, msg: 'journal opened', entries: 3, password: '[redacted]' });
  });
});
