import { loadConfiguration } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';

/** Opens the configured database, migrated, runs the work and closes the database. */
export async function withDatabase<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const config = loadConfiguration();
  const database = openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(database.db, database.kind);
    return await work(database);
  } finally {
    await database.close();
  }
}
