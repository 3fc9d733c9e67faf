// The bcrypt queue: a few hashes at once, one per account, accounts served in turn, and a bound on
// how many may wait, so one account's flood can neither take every slot nor make others wait long.
import { AppError } from '../http/errors.js';

export interface PasswordQueueLimits {
  /** Hashes running at once: bcrypt burns a whole core each, and one core is left for pages. */
  parallel: number;
  /** Hashes waiting, all accounts together; one more is refused with 503 at once. */
  maxWaiting: number;
  /** One account's hashes running or waiting; one more is refused with 429 at once. */
  maxPerAccount: number;
}

export type PasswordQueue = <T>(account: string | undefined, task: () => Promise<T>) => Promise<T>;

// Measured here: bcrypt 12 takes 250–500 ms on a busy core, so 20 waiting is at most a few seconds.
const WAITING_PER_SLOT = 20;
export const DEFAULT_QUEUE_LIMITS = (parallel: number): PasswordQueueLimits => ({
  parallel,
  maxWaiting: WAITING_PER_SLOT * parallel,
  maxPerAccount: 3,
});

export const QUEUE_FULL_MESSAGE = 'Smriti is checking a great many passwords right now. Please try again in a few seconds.';
export const ACCOUNT_BUSY_MESSAGE = 'This account is already checking several passwords at once. Please wait a moment and try again.';

interface Waiting {
  start: () => void;
}

export function createPasswordQueue(limits: PasswordQueueLimits): PasswordQueue {
  return createFairQueue(limits, { queueFull: QUEUE_FULL_MESSAGE, accountBusy: ACCOUNT_BUSY_MESSAGE });
}

/** The same fair queue for other heavy work (photo uploads), with its own sentences for the refusals. */
export function createFairQueue(
  limits: PasswordQueueLimits,
  refusals: { queueFull: string; accountBusy: string; accountBusyCode?: string },
): PasswordQueue {
  let running = 0;
  let waitingCount = 0;
  const busyAccounts = new Set<string>();
  const inFlight = new Map<string, number>();
  // Insertion order is the turn order: an account served goes to the back of the line.
  const waiting = new Map<string, Waiting[]>();
  let anonymous = 0;

  // Taken before the task starts (not when its promise resumes), so no slot is handed out twice.
  function claim(account: string): void {
    running += 1;
    busyAccounts.add(account);
  }

  function startNext(): void {
    for (const [account, jobs] of waiting) {
      if (running >= limits.parallel) return;
      if (busyAccounts.has(account)) continue;
      const job = jobs.shift()!;
      waiting.delete(account);
      if (jobs.length > 0) waiting.set(account, jobs);
      waitingCount -= 1;
      claim(account);
      job.start();
    }
  }

  return async function run<T>(key: string | undefined, task: () => Promise<T>): Promise<T> {
    const account = key ?? `anonymous:${++anonymous}`;
    const mine = inFlight.get(account) ?? 0;
    if (mine >= limits.maxPerAccount) throw new AppError(429, refusals.accountBusyCode ?? 'password_checks_busy', refusals.accountBusy);
    const mustWait = running >= limits.parallel || busyAccounts.has(account);
    if (mustWait && waitingCount >= limits.maxWaiting) throw new AppError(503, 'busy', refusals.queueFull);
    inFlight.set(account, mine + 1);
    if (mustWait) {
      await new Promise<void>((resolve) => {
        const jobs = waiting.get(account) ?? [];
        jobs.push({ start: resolve });
        waiting.set(account, jobs);
        waitingCount += 1;
      });
    } else {
      claim(account);
    }
    try {
      return await task();
    } finally {
      running -= 1;
      busyAccounts.delete(account);
      const left = (inFlight.get(account) ?? 1) - 1;
      if (left > 0) inFlight.set(account, left);
      else inFlight.delete(account);
      // This account was just served: its next hash waits for every other account's turn.
      const next = waiting.get(account);
      if (next) {
        waiting.delete(account);
        waiting.set(account, next);
      }
      startNext();
    }
  };
}
