import { describe, expect, it } from 'vitest';
import { createPasswordQueue } from '../../src/auth/password-queue.js';
import { AppError } from '../../src/http/errors.js';

/** A task that runs until the test lets it finish, recording when it started. */
function heldTask(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const task = () => {
    log.push(name);
    return done;
  };
  return { task, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function refusal(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.status : -1;
  }
}

describe('the bcrypt queue', () => {
  it('runs one hash per account at a time and refuses the fourth of one account with 429 at once', async () => {
    const queue = createPasswordQueue({ parallel: 2, maxWaiting: 10, maxPerAccount: 3 });
    const log: string[] = [];
    const jobs = [1, 2, 3].map((n) => heldTask(log, `a${n}`));
    const running = jobs.map((job) => queue('a', job.task));
    await tick();
    expect(log).toEqual(['a1']); // a free slot stays free rather than run a second hash of "a"
    expect(await refusal(queue('a', async () => 'never'))).toBe(429);
    jobs[0]!.finish();
    await tick();
    expect(log).toEqual(['a1', 'a2']);
    jobs[1]!.finish();
    jobs[2]!.finish();
    await Promise.all(running);
    expect(log).toEqual(['a1', 'a2', 'a3']);
  });

  it('serves accounts in turn, so a newcomer waits for one hash, not for a flood', async () => {
    const queue = createPasswordQueue({ parallel: 1, maxWaiting: 10, maxPerAccount: 3 });
    const log: string[] = [];
    const flood = [1, 2, 3].map((n) => heldTask(log, `flood${n}`));
    const other = heldTask(log, 'other');
    const all = [...flood.map((job) => queue('flooder', job.task))];
    await tick();
    all.push(queue('someone else', other.task));
    flood[0]!.finish();
    await tick();
    expect(log).toEqual(['flood1', 'other']);
    other.finish();
    flood[1]!.finish();
    flood[2]!.finish();
    await Promise.all(all);
  });

  it('refuses with 503 at once when the waiting line is full, and takes work again when it drains', async () => {
    const queue = createPasswordQueue({ parallel: 1, maxWaiting: 2, maxPerAccount: 3 });
    const log: string[] = [];
    const held = ['a', 'b', 'c'].map((name) => heldTask(log, name));
    const admitted = held.map((job, i) => queue(`account ${i}`, job.task));
    await tick();
    expect(await refusal(queue('account 3', async () => 'never'))).toBe(503);
    for (const job of held) job.finish();
    await Promise.all(admitted);
    expect(await queue('account 3', async () => 'now')).toBe('now');
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('frees the slot when a hash fails', async () => {
    const queue = createPasswordQueue({ parallel: 1, maxWaiting: 1, maxPerAccount: 1 });
    await expect(queue('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue('a', async () => 'again')).toBe('again');
  });
});
