import type { Kysely } from 'kysely';
import { mergeScopes } from '../core/scope.js';
import { recordAuditEvent } from './audit-events.js';
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
      last_used_at: null,
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

/** A remembered authorization with its client, as the connected apps page lists it. */
export interface ConnectedApp {
  clientId: string;
  clientName: string;
  scopes: string[];
  grantedAt: number;
  /** When tokens were last issued for this user and client; null before the first. */
  lastUsedAt: number | null;
}

/** Lists every client the user has authorized, most recently authorized first. */
export async function listConnectedApps(db: Kysely<Database>, userId: string): Promise<ConnectedApp[]> {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('clients', 'clients.id', 'grants.client_id')
    .select([
      'grants.client_id as client_id',
      'clients.name as client_name',
      'grants.scopes as scopes',
      'grants.created_at as created_at',
      'grants.last_used_at as last_used_at',
    ])
    .where('grants.user_id', '=', userId)
    .orderBy('grants.created_at', 'desc')
    .execute();
  return rows.map((row) => ({
    clientId: row.client_id,
    clientName: row.client_name,
    scopes: parseStringList(row.scopes),
    grantedAt: row.created_at,
    lastUsedAt: row.last_used_at,
  }));
}

export interface AuthorizationRevocation {
  /** False when there was no remembered authorization for the pair. */
  grantDeleted: boolean;
  familiesRevoked: number;
}

/**
 * Withdraws everything a user gave a client, in one transaction: the remembered authorization,
 * approved device authorizations the device has not collected yet, and every token family of
 * the pair. A code issued earlier is in one of those families, so its tokens are dead on arrival.
 */
export async function revokeAuthorization(
  db: Kysely<Database>,
  revocation: { userId: string; clientId: string; now: number; reason: string },
): Promise<AuthorizationRevocation> {
  const { userId, clientId, now } = revocation;
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('grants')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    await trx
      .updateTable('device_authorizations')
      .set({ denied_at: now })
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('consumed_at', 'is', null)
      .where('denied_at', 'is', null)
      .execute();
    const revoked = await trx
      .updateTable('token_families')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const familiesRevoked = Number(revoked.numUpdatedRows);
    if (familiesRevoked > 0) {
      await recordAuditEvent(trx, {
        type: 'token_revoked',
        clientId,
        userId,
        detail: `${revocation.reason}: ${familiesRevoked} token families`,
        now,
      });
    }
    return { grantDeleted: deleted.numDeletedRows > 0n, familiesRevoked };
  });
}
