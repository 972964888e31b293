import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as maintenanceLeases from './migrations/0002-maintenance-leases.js';
import * as openidConnect from './migrations/0003-openid-connect.js';
import * as tokenLifecycle from './migrations/0004-token-lifecycle.js';
import * as userDisable from './migrations/0005-user-disable.js';
import type { DatabaseKind } from './database.js';
import type { Database } from './schema.js';

/** Migrations in order. Names sort in the order they must run. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-maintenance-leases': maintenanceLeases,
  '0003-openid-connect': openidConnect,
  '0004-token-lifecycle': tokenLifecycle,
  '0005-user-disable': userDisable,
};

export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

/**
 * Brings the schema up to date. Several processes may run it at once. On PostgreSQL, Kysely's
 * migrator takes an advisory lock. On SQLite its lock only covers one connection, so a process
 * that loses the race fails inside its migration transaction, which rolls back; it then retries
 * and finds the migrations applied.
 */
export async function migrateToLatest(db: Kysely<Database>, kind: DatabaseKind): Promise<MigrationResultSet> {
  const attempts = kind === 'sqlite' ? SQLITE_MIGRATION_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runMigrator(db);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

const SQLITE_MIGRATION_ATTEMPTS = 5;

async function runMigrator(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((migration) => migration.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    // Without a failed migration the error came before any ran: the database could not be reached.
    if (failed === undefined) throw new Error(`could not reach the database: ${reason}`);
    throw new Error(`migration ${failed.migrationName} failed: ${reason}`);
  }
  return result;
}
