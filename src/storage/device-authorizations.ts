import { sql, type Kysely } from 'kysely';
import {
  MAX_POLLING_INTERVAL_SECONDS,
  SLOW_DOWN_INCREMENT_SECONDS,
  type DeviceAuthorizationStore,
  type DevicePoll,
} from '../core/device-authorization.js';
import type { NewTokenFamily } from '../core/token-store.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { Database } from './schema.js';
import { findFamilyState } from './token-families.js';

export interface NewDeviceAuthorization {
  deviceCodeHash: string;
  userCodeHash: string;
  clientId: string;
  scopes: string[];
  resource: string | null;
  intervalSeconds: number;
  now: number;
  expiresAt: number;
}

/** A device authorization that waits for the user, as the /device page shows it. */
export interface PendingDeviceAuthorization {
  deviceCodeHash: string;
  clientId: string;
  scopes: string[];
  resource: string | null;
  expiresAt: number;
}

/**
 * Inserts a device authorization. Returns false when the user code hash is taken by another
 * row, so the caller can draw a new user code.
 */
export async function insertDeviceAuthorization(db: Kysely<Database>, device: NewDeviceAuthorization): Promise<boolean> {
  const result = await db
    .insertInto('device_authorizations')
    .values({
      device_code_hash: device.deviceCodeHash,
      user_code_hash: device.userCodeHash,
      client_id: device.clientId,
      scopes: serializeStringList(device.scopes),
      resource: device.resource,
      interval_seconds: device.intervalSeconds,
      last_polled_at: null,
      user_id: null,
      family_id: null,
      auth_time: null,
      approved_at: null,
      denied_at: null,
      consumed_at: null,
      created_at: device.now,
      expires_at: device.expiresAt,
    })
    .onConflict((conflict) => conflict.column('user_code_hash').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Finds an unexpired device authorization that nobody has approved or denied yet. */
export async function findPendingDeviceAuthorization(
  db: Kysely<Database>,
  userCodeHash: string,
  now: number,
): Promise<PendingDeviceAuthorization | undefined> {
  const row = await db
    .selectFrom('device_authorizations')
    .select(['device_code_hash', 'client_id', 'scopes', 'resource', 'expires_at'])
    .where('user_code_hash', '=', userCodeHash)
    .where('approved_at', 'is', null)
    .where('denied_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    deviceCodeHash: row.device_code_hash,
    clientId: row.client_id,
    scopes: parseStringList(row.scopes),
    resource: row.resource,
    expiresAt: row.expires_at,
  };
}

/**
 * Approves a pending device authorization for a user and creates the token family its tokens
 * will belong to, in one transaction. Returns false when the authorization is no longer pending
 * (approved or denied by another request, or expired), and then stores nothing.
 */
export async function approveDeviceAuthorization(
  db: Kysely<Database>,
  approval: { deviceCodeHash: string; userId: string; authTime: number; family: NewTokenFamily; now: number },
): Promise<boolean> {
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('token_families')
        .values({
          id: approval.family.id,
          client_id: approval.family.clientId,
          user_id: approval.family.userId,
          created_at: approval.family.createdAt,
          expires_at: approval.family.expiresAt,
          revoked_at: null,
        })
        .execute();
      const result = await trx
        .updateTable('device_authorizations')
        .set({ approved_at: approval.now, user_id: approval.userId, auth_time: approval.authTime, family_id: approval.family.id })
        .where('device_code_hash', '=', approval.deviceCodeHash)
        .where('approved_at', 'is', null)
        .where('denied_at', 'is', null)
        .where('expires_at', '>', approval.now)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new DecisionLost();
    });
    return true;
  } catch (error) {
    if (error instanceof DecisionLost) return false;
    throw error;
  }
}

/** Thrown inside the approval transaction to roll back the new family. */
class DecisionLost extends Error {}

/** Denies a pending device authorization. Returns false when it is no longer pending. */
export async function denyDeviceAuthorization(
  db: Kysely<Database>,
  denial: { deviceCodeHash: string; userId: string; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('device_authorizations')
    .set({ denied_at: denial.now, user_id: denial.userId })
    .where('device_code_hash', '=', denial.deviceCodeHash)
    .where('approved_at', 'is', null)
    .where('denied_at', 'is', null)
    .where('expires_at', '>', denial.now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The device grant's storage: every state change is one conditional UPDATE. */
export class KyselyDeviceAuthorizationStore implements DeviceAuthorizationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async pollDeviceAuthorization(deviceCodeHash: string, clientId: string, now: number): Promise<DevicePoll> {
    const row = await this.db
      .selectFrom('device_authorizations')
      .select(['client_id', 'expires_at', 'consumed_at'])
      .where('device_code_hash', '=', deviceCodeHash)
      .executeTakeFirst();
    if (row === undefined) return { outcome: 'invalid', reason: 'unknown device code' };
    if (row.client_id !== clientId) return { outcome: 'invalid', reason: `device code of client '${row.client_id}'` };
    if (row.consumed_at !== null) return { outcome: 'invalid', reason: 'device code already used' };
    if (row.expires_at <= now) return { outcome: 'expired' };

    // Claims this poll's slot: only a poll at least one interval after the previous one wins.
    const polled = await this.db
      .updateTable('device_authorizations')
      .set({ last_polled_at: now })
      .where('device_code_hash', '=', deviceCodeHash)
      .where((eb) =>
        eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + interval_seconds * 1000`, '<=', now)]),
      )
      .returning(['approved_at', 'denied_at', 'consumed_at'])
      .executeTakeFirst();
    if (polled === undefined) {
      await this.db
        .updateTable('device_authorizations')
        .set({
          interval_seconds: sql<number>`CASE WHEN interval_seconds + ${sql.lit(SLOW_DOWN_INCREMENT_SECONDS)} > ${sql.lit(MAX_POLLING_INTERVAL_SECONDS)} THEN ${sql.lit(MAX_POLLING_INTERVAL_SECONDS)} ELSE interval_seconds + ${sql.lit(SLOW_DOWN_INCREMENT_SECONDS)} END`,
        })
        .where('device_code_hash', '=', deviceCodeHash)
        .execute();
      return { outcome: 'slow_down' };
    }
    if (polled.denied_at !== null) return { outcome: 'denied' };
    if (polled.consumed_at !== null) return { outcome: 'invalid', reason: 'device code already used' };
    if (polled.approved_at === null) return { outcome: 'pending' };

    return this.consumeApproved(deviceCodeHash, now);
  }

  /** Hands an approved authorization to exactly one caller. */
  private async consumeApproved(deviceCodeHash: string, now: number): Promise<DevicePoll> {
    const consumed = await this.db
      .updateTable('device_authorizations')
      .set({ consumed_at: now })
      .where('device_code_hash', '=', deviceCodeHash)
      .where('approved_at', 'is not', null)
      .where('denied_at', 'is', null)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['user_id', 'auth_time', 'family_id', 'scopes', 'resource'])
      .executeTakeFirst();
    if (consumed === undefined || consumed.user_id === null || consumed.family_id === null || consumed.auth_time === null) {
      return { outcome: 'invalid', reason: 'device code already used or withdrawn' };
    }
    const family = await findFamilyState(this.db, consumed.family_id);
    if (family.revokedAt !== null || family.userDisabled) return { outcome: 'invalid', reason: 'the approval was withdrawn' };
    return {
      outcome: 'approved',
      authorization: {
        familyId: consumed.family_id,
        familyExpiresAt: family.expiresAt,
        userId: consumed.user_id,
        authTime: consumed.auth_time,
        scopes: parseStringList(consumed.scopes),
        resource: consumed.resource,
      },
    };
  }
}
