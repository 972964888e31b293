import type { Kysely } from 'kysely';

/**
 * Adds signing keys and the OpenID Connect request data that must survive from the authorization
 * request to the token response: nonce, requested claims, max_age and the client's logout and
 * signing settings.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (column) => column.primaryKey())
    .addColumn('alg', 'text', (column) => column.notNull())
    .addColumn('public_jwk', 'text', (column) => column.notNull())
    .addColumn('private_jwk', 'text', (column) => column.notNull())
    // Equal to alg while the key is the one that signs for that algorithm, else null. The unique
    // index lets only one key per algorithm be active, even when processes race to create one.
    .addColumn('active_for', 'text', (column) => column.unique())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('unpublish_at', 'bigint')
    .execute();

  for (const table of ['authorization_requests', 'authorization_codes'] as const) {
    await db.schema.alterTable(table).addColumn('nonce', 'text').execute();
    await db.schema.alterTable(table).addColumn('claims', 'text').execute();
  }
  await db.schema.alterTable('authorization_requests').addColumn('max_age', 'integer').execute();
  await db.schema.alterTable('authorization_requests').addColumn('response_mode', 'text').execute();
  await db.schema.alterTable('authorization_requests').addColumn('login_hint', 'text').execute();
  await db.schema.alterTable('authorization_requests').addColumn('ui_locales', 'text').execute();
  await db.schema.alterTable('authorization_requests').addColumn('id_token_hint_subject', 'text').execute();
  await db.schema.alterTable('refresh_tokens').addColumn('claims', 'text').execute();
  await db.schema.alterTable('access_tokens').addColumn('claims', 'text').execute();

  await db.schema
    .alterTable('clients')
    .addColumn('post_logout_redirect_uris', 'text', (column) => column.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('clients')
    .addColumn('id_token_signed_response_alg', 'text', (column) => column.notNull().defaultTo('ES256'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('signing_keys').execute();
  for (const table of ['authorization_requests', 'authorization_codes'] as const) {
    await db.schema.alterTable(table).dropColumn('nonce').execute();
    await db.schema.alterTable(table).dropColumn('claims').execute();
  }
  for (const column of ['max_age', 'response_mode', 'login_hint', 'ui_locales', 'id_token_hint_subject']) {
    await db.schema.alterTable('authorization_requests').dropColumn(column).execute();
  }
  await db.schema.alterTable('refresh_tokens').dropColumn('claims').execute();
  await db.schema.alterTable('access_tokens').dropColumn('claims').execute();
  await db.schema.alterTable('clients').dropColumn('post_logout_redirect_uris').execute();
  await db.schema.alterTable('clients').dropColumn('id_token_signed_response_alg').execute();
}
