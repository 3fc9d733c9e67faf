// `npm run prune`: deletes the rows the hourly job deletes (see prune.ts), then exits.
import { ConfigError, loadConfigFromProcess } from './config.js';
import { openDb } from './db/db.js';
import { migrate } from './db/migrate.js';
import { pruneExpiredRows } from './prune.js';

try {
  const config = await loadConfigFromProcess();
  const db = await openDb({ databaseUrl: config.databaseUrl, embeddedDbDir: config.embeddedDbDir });
  try {
    await migrate(db);
    const removed = await pruneExpiredRows(db, config, Date.now());
    console.log(`removed from ${db.description}: ${JSON.stringify(removed)}`);
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
