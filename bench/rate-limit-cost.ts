// What counting the sign-in limits in PostgreSQL costs: one limit check against a bare round trip,
// alone and under concurrency, and against the bcrypt check every sign-in pays anyway.
// `DATABASE_URL=postgres://… npm run bench:limits` (a throwaway database is created and dropped), or an embedded PostgreSQL server when unset.
import type { Options } from 'express-rate-limit';
import { createPasswordHasher, hashPassword, verifyPassword } from '../src/auth/passwords.js';
import type { Db } from '../src/db/db.js';
import { PostgresStore } from '../src/http/rate-limit-postgres.js';
import { createBenchDatabase } from './database.js';

const ROUNDS = 2000;
const CONCURRENCY = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeEach(n: number, work: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; mean: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await work(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / n };
}

async function throughput(work: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, loop) => timeEach(ROUNDS / CONCURRENCY, (i) => work(loop * 1e6 + i))));
  return ROUNDS / ((performance.now() - start) / 1000);
}

function store(db: Db, name: string): PostgresStore {
  const counters = new PostgresStore(db, Date.now, name);
  counters.init({ windowMs: 15 * 60 * 1000 } as Options);
  return counters;
}

const ms = (value: number) => value.toFixed(3).padStart(8);

async function main(): Promise<void> {
  const database = await createBenchDatabase(process.env.DATABASE_URL);
  console.log(`rate-limit cost on ${database.description}`);
  const db = await database.open(CONCURRENCY);
  try {
    const perIp = store(db, 'login_ip');
    const rows: Array<[string, Awaited<ReturnType<typeof timeEach>>]> = [
      ['SELECT 1 (one round trip)', await timeEach(ROUNDS, () => db.query('SELECT 1'))],
      ['limit check, a new client each', await timeEach(ROUNDS, (i) => perIp.increment(`10.0.${i >> 8}.${i & 255}`))],
      ['limit check, one client again', await timeEach(ROUNDS, () => perIp.increment('10.9.9.9'))],
    ];
    for (const [what, t] of rows) console.log(`${what.padEnd(34)} p50 ${ms(t.p50)} ms  p99 ${ms(t.p99)} ms  mean ${ms(t.mean)} ms`);
    console.log(`${CONCURRENCY} at once, new clients:  ${(await throughput((i) => perIp.increment(`c${i}`))).toFixed(0)} checks/s`);
    console.log(`${CONCURRENCY} at once, one client:   ${(await throughput(() => perIp.increment('hot'))).toFixed(0)} checks/s`);

    const bcrypt = createPasswordHasher(12);
    const hash = await hashPassword(bcrypt, 'a password');
    const signIn = await timeEach(10, () => verifyPassword(bcrypt, 'another password', hash));
    const checks = 2 * rows[1]![1].p50;
    console.log(`bcrypt check at 12 rounds (every sign-in) p50 ${ms(signIn.p50)} ms`);
    console.log(`two checks per sign-in (IP and email), p50 = ${checks.toFixed(3)} ms, ${((100 * checks) / signIn.p50).toFixed(2)}% of it`);
  } finally {
    await db.close();
    await database.drop();
  }
}

await main();
