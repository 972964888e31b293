import { loadConfiguration } from '../config.js';
import { openDatabase, redactDatabaseUrl } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { parseOptions } from './output.js';

export async function runMigrate(args: string[]): Promise<number> {
  parseOptions(args, {});
  const config = loadConfiguration();
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    const result = await migrateToLatest(database.db, database.kind);
    const applied = result.results?.filter((migration) => migration.status === 'Success') ?? [];
    for (const migration of applied) console.log(`applied ${migration.migrationName}`);
    console.log(`database ${redactDatabaseUrl(config.databaseUrl)} is up to date (${applied.length} migrations applied now)`);
    return 0;
  } finally {
    await database.close();
  }
}
