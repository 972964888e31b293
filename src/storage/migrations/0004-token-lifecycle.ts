import type { Kysely } from 'kysely';

/**
 * Adds what the token lifecycle needs: resource servers and resource indicators, JWT access token
 * ids, the last use of each remembered authorization, device authorizations, rate limit counters
 * and the audit log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('resource_servers')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('secret_hash', 'text', (column) => column.notNull())
    .addColumn('audience', 'text', (column) => column.notNull().unique())
    .addColumn('allowed_scopes', 'text', (column) => column.notNull())
    .addColumn('access_token_format', 'text')
    .addColumn('disabled', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .alterTable('clients')
    .addColumn('access_token_format', 'text', (column) => column.notNull().defaultTo('opaque'))
    .execute();
  await db.schema
    .alterTable('clients')
    .addColumn('allowed_resources', 'text', (column) => column.notNull().defaultTo('[]'))
    .execute();

  for (const table of ['authorization_requests', 'authorization_codes', 'access_tokens', 'refresh_tokens'] as const) {
    await db.schema.alterTable(table).addColumn('resource', 'text').execute();
  }
  // SQLite cannot add a UNIQUE column, so the uniqueness comes from a separate index.
  await db.schema.alterTable('access_tokens').addColumn('jti', 'text').execute();
  await db.schema.createIndex('access_tokens_jti').on('access_tokens').column('jti').unique().execute();
  await db.schema.alterTable('grants').addColumn('last_used_at', 'bigint').execute();

  await db.schema
    .createTable('device_authorizations')
    .addColumn('device_code_hash', 'text', (column) => column.primaryKey())
    .addColumn('user_code_hash', 'text', (column) => column.notNull().unique())
    .addColumn('client_id', 'text', (column) => column.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('scopes', 'text', (column) => column.notNull())
    .addColumn('resource', 'text')
    .addColumn('interval_seconds', 'integer', (column) => column.notNull())
    .addColumn('last_polled_at', 'bigint')
    .addColumn('user_id', 'text', (column) => column.references('users.id').onDelete('cascade'))
    .addColumn('family_id', 'text', (column) => column.references('token_families.id').onDelete('cascade'))
    .addColumn('auth_time', 'bigint')
    .addColumn('approved_at', 'bigint')
    .addColumn('denied_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('device_authorizations_expires_at')
    .on('device_authorizations')
    .column('expires_at')
    .execute();
  await db.schema
    .createIndex('device_authorizations_user_client')
    .on('device_authorizations')
    .columns(['user_id', 'client_id'])
    .execute();

  await db.schema
    .createTable('rate_limit_counters')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('count', 'integer', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_counters_expires_at').on('rate_limit_counters').column('expires_at').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('occurred_at', 'bigint', (column) => column.notNull())
    .addColumn('event_type', 'text', (column) => column.notNull())
    .addColumn('client_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_events_occurred_at').on('audit_events').column('occurred_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_events', 'rate_limit_counters', 'device_authorizations', 'resource_servers']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.dropIndex('access_tokens_jti').execute();
  await db.schema.alterTable('access_tokens').dropColumn('jti').execute();
  for (const table of ['authorization_requests', 'authorization_codes', 'access_tokens', 'refresh_tokens'] as const) {
    await db.schema.alterTable(table).dropColumn('resource').execute();
  }
  await db.schema.alterTable('grants').dropColumn('last_used_at').execute();
  await db.schema.alterTable('clients').dropColumn('access_token_format').execute();
  await db.schema.alterTable('clients').dropColumn('allowed_resources').execute();
}
