import type { Kysely } from 'kysely';
import { mergeScopes } from '../core/scope.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { Database } from './schema.js';

/** The scopes this user has allowed this client, or undefined when there is no remembered authorization. */
export async function findGrantedScopes(
  db: Kysely<Database>,
  userId: string,
  clientId: string,
): Promise<string[] | undefined> {
  const row = await db
    .selectFrom('grants')
    .select('scopes')
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  return row === undefined ? undefined : parseStringList(row.scopes);
}

/**
 * Records that the user allowed the client these scopes, adding them to any earlier grant.
 * The update is a compare-and-swap on the stored scopes, so two concurrent consents for one pair
 * end as one row that has both scope sets.
 */
export async function recordGrant(
  db: Kysely<Database>,
  grant: { id: string; userId: string; clientId: string; scopes: string[]; now: number },
): Promise<void> {
  await db
    .insertInto('grants')
    .values({
      id: grant.id,
      user_id: grant.userId,
      client_id: grant.clientId,
      scopes: serializeStringList(grant.scopes),
      created_at: grant.now,
      updated_at: grant.now,
    })
    .onConflict((conflict) => conflict.columns(['user_id', 'client_id']).doNothing())
    .execute();

  for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt += 1) {
    const existing = await db
      .selectFrom('grants')
      .select(['id', 'scopes'])
      .where('user_id', '=', grant.userId)
      .where('client_id', '=', grant.clientId)
      .executeTakeFirst();
    // The grant was deleted (the user revoked it) between the insert and this read: insert again.
    if (existing === undefined) return recordGrant(db, grant);
    const merged = serializeStringList(mergeScopes(parseStringList(existing.scopes), grant.scopes));
    if (merged === existing.scopes) return;
    const result = await db
      .updateTable('grants')
      .set({ scopes: merged, updated_at: grant.now })
      .where('id', '=', existing.id)
      .where('scopes', '=', existing.scopes)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return;
  }
  throw new Error(`could not record the grant of client '${grant.clientId}' after ${MAX_MERGE_ATTEMPTS} attempts`);
}

/** Concurrent consents for one user and client are rare; a handful of retries settles them. */
const MAX_MERGE_ATTEMPTS = 5;
