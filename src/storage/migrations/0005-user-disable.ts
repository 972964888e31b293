import type { Kysely } from 'kysely';

/**
 * Adds the time an administrator disabled a user account (null while the account is enabled),
 * and an index that lets a password change or a disable find the user's sessions without a scan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('disabled_at', 'bigint').execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sessions_user_id').execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').execute();
}
