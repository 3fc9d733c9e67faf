// The bench's users and entries, and the context every benchmark (and the profiler) is handed.
import { createPasswordHasher, hashPassword } from '../src/auth/passwords.js';
import { createTokenKeys } from '../src/auth/tokens.js';
import { type BenchSettings, benchConfig, productionEnv } from './config.js';
import type { BenchContext } from './context.js';
import type { BenchDatabase } from './database.js';
import { addEntries, BENCH_PASSWORD, createUsers } from './seed.js';

// Enough users that per-user advisory locks rarely queue behind one another.
const USERS = 1000;
const ENTRIES = 50;

/** Seeds the bench database; `wants` says which rows of a benchmark were asked for. */
export async function setUpContext(
  settings: BenchSettings,
  database: BenchDatabase,
  wants: (row: string) => boolean,
): Promise<BenchContext> {
  const env = productionEnv(database.serverEnv);
  const config = benchConfig(env);
  const passwordHash = await hashPassword(createPasswordHasher(config.bcryptRounds), BENCH_PASSWORD);
  const users = await database.use(async (db) => {
    const ids = await createUsers(db, USERS, passwordHash);
    await addEntries(db, ids[0]!, ENTRIES);
    return ids;
  });
  return { settings, database, env, config, tokens: createTokenKeys(config.jwt), users, wants };
}
