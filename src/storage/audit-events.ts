import type { Kysely } from 'kysely';
import { generateId } from '../core/secrets.js';
import type { Database } from './schema.js';

export const AUDIT_EVENT_TYPES = [
  'token_issued',
  'token_refreshed',
  'token_revoked',
  'client_authentication_failed',
  'user_disabled',
  'user_enabled',
  'password_changed',
  'pkce_challenge_repeated',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** A security event. Callers pass ids and short reasons only: never a token, code or secret. */
export interface AuditEvent {
  type: AuditEventType;
  clientId: string | null;
  userId: string | null;
  detail: string | null;
  now: number;
}

export interface StoredAuditEvent {
  id: string;
  occurredAt: number;
  type: string;
  clientId: string | null;
  userId: string | null;
  detail: string | null;
}

/** Client ids come from requests, so a stored one is cut to this length. */
const MAX_STORED_ID_LENGTH = 256;
/** Details may quote request values too, so a stored one is cut to this length. */
const MAX_STORED_DETAIL_LENGTH = 512;

/** Inserts one audit event. Pass a transaction to record the event with the change it describes. */
export async function recordAuditEvent(db: Kysely<Database>, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: generateId(),
      occurred_at: event.now,
      event_type: event.type,
      client_id: event.clientId?.slice(0, MAX_STORED_ID_LENGTH) ?? null,
      user_id: event.userId,
      detail: event.detail?.slice(0, MAX_STORED_DETAIL_LENGTH) ?? null,
    })
    .execute();
}

/**
 * Returns the latest `limit` events, oldest first. Events of the same millisecond have no
 * defined order among themselves.
 */
export async function listLatestAuditEvents(db: Kysely<Database>, limit: number): Promise<StoredAuditEvent[]> {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((row) => ({
    id: row.id,
    occurredAt: row.occurred_at,
    type: row.event_type,
    clientId: row.client_id,
    userId: row.user_id,
    detail: row.detail,
  }));
}
