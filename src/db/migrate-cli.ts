// `npm run migrate`: applies pending migrations to the configured database and exits.
import { ConfigError, loadConfigFromProcess } from '../config.js';
import { openDb } from './db.js';
import { MigrationError, migrate } from './migrate.js';

try {
  const config = await loadConfigFromProcess();
  const db = await openDb({ databaseUrl: config.databaseUrl, embeddedDbDir: config.embeddedDbDir });
  try {
    const applied = await migrate(db);
    console.log(applied.length ? `applied ${applied.join(', ')} to ${db.description}` : `${db.description} is up to date`);
  } finally {
    await db.close();
  }
} catch (error) {
  if (error instanceof ConfigError || error instanceof MigrationError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
