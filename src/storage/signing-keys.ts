import type { Kysely, Selectable } from 'kysely';
import type { Database, SigningKeysTable } from './schema.js';

export type SigningKeyRow = Selectable<SigningKeysTable>;

export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: string;
  privateJwk: string;
  now: number;
}

/**
 * Inserts a key as the active one for its algorithm unless another process already did.
 * Returns false when an active key for the algorithm exists.
 */
export async function insertActiveKeyIfMissing(db: Kysely<Database>, key: NewSigningKey): Promise<boolean> {
  const result = await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: key.publicJwk,
      private_jwk: key.privateJwk,
      active_for: key.alg,
      created_at: key.now,
      retired_at: null,
      unpublish_at: null,
    })
    .onConflict((conflict) => conflict.column('active_for').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export function findActiveKey(db: Kysely<Database>, alg: string): Promise<SigningKeyRow | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('active_for', '=', alg).executeTakeFirst();
}

export function findKeyByKid(db: Kysely<Database>, kid: string): Promise<SigningKeyRow | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
}

/** Keys whose public half must be served: active ones and retired ones that may still verify tokens. */
export function listPublishedKeys(db: Kysely<Database>, now: number): Promise<SigningKeyRow[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('unpublish_at', 'is', null), eb('unpublish_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .execute();
}

export function listAllKeys(db: Kysely<Database>): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
}

/**
 * Retires the active key of an algorithm and makes `replacement` active, in one transaction.
 * The retired key stays published until `unpublishAt`, when every token it signed has expired.
 */
export async function replaceActiveKey(
  db: Kysely<Database>,
  replacement: NewSigningKey,
  unpublishAt: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('signing_keys')
      .set({ active_for: null, retired_at: replacement.now, unpublish_at: unpublishAt })
      .where('active_for', '=', replacement.alg)
      .execute();
    await trx
      .insertInto('signing_keys')
      .values({
        kid: replacement.kid,
        alg: replacement.alg,
        public_jwk: replacement.publicJwk,
        private_jwk: replacement.privateJwk,
        active_for: replacement.alg,
        created_at: replacement.now,
        retired_at: null,
        unpublish_at: null,
      })
      .execute();
  });
}
