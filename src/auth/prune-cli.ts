// `npm run prune`: deletes refresh-token rows that expired more than a day ago, then exits.
import { ConfigError, loadConfigFromProcess } from '../config.js';
import { openDb } from '../db/db.js';
import { migrate } from '../db/migrate.js';
import { pruneExpiredRefreshTokens } from './sessions.js';

try {
  const config = await loadConfigFromProcess();
  const db = await openDb({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
  try {
    await migrate(db);
    const removed = await pruneExpiredRefreshTokens(db, Date.now());
    console.log(`removed ${removed} expired refresh token row${removed === 1 ? '' : 's'} from ${db.description}`);
  } finally {
    await db.close();
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
