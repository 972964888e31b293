import type { Kysely } from 'kysely';
import type { AuthorizationRequest, Prompt } from '../core/authorization-request.js';
import { deserializeClaimsRequest, serializeClaimsRequest } from '../core/oidc/claims.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { Database } from './schema.js';

/** An authorization request kept server-side while the user logs in and consents. */
export interface PendingAuthorizationRequest {
  id: string;
  browserHash: string;
  request: AuthorizationRequest;
  loggedIn: boolean;
  expiresAt: number;
  completed: boolean;
}

export async function insertPendingRequest(
  db: Kysely<Database>,
  pending: { id: string; browserHash: string; request: AuthorizationRequest; now: number; expiresAt: number },
): Promise<void> {
  const { request } = pending;
  await db
    .insertInto('authorization_requests')
    .values({
      id: pending.id,
      browser_hash: pending.browserHash,
      client_id: request.clientId,
      redirect_uri: request.redirectUri,
      redirect_uri_sent: request.redirectUriSent ? 1 : 0,
      scopes: serializeStringList(request.scopes),
      state: request.state ?? null,
      code_challenge: request.codeChallenge?.challenge ?? null,
      prompt: serializeStringList([...request.prompt]),
      response_mode: request.responseMode,
      nonce: request.nonce ?? null,
      max_age: request.maxAge ?? null,
      claims: serializeClaimsRequest(request.claims),
      login_hint: request.loginHint ?? null,
      ui_locales: request.uiLocales ?? null,
      id_token_hint_subject: request.expectedSubject ?? null,
      resource: request.resource ?? null,
      logged_in: 0,
      created_at: pending.now,
      expires_at: pending.expiresAt,
      completed_at: null,
    })
    .execute();
}

export async function findPendingRequest(
  db: Kysely<Database>,
  id: string,
): Promise<PendingAuthorizationRequest | undefined> {
  const row = await db.selectFrom('authorization_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    browserHash: row.browser_hash,
    loggedIn: row.logged_in === 1,
    expiresAt: row.expires_at,
    completed: row.completed_at !== null,
    request: {
      clientId: row.client_id,
      redirectUri: row.redirect_uri,
      redirectUriSent: row.redirect_uri_sent === 1,
      scopes: parseStringList(row.scopes),
      state: row.state ?? undefined,
      codeChallenge: row.code_challenge === null ? undefined : { challenge: row.code_challenge, method: 'S256' },
      prompt: new Set(parseStringList(row.prompt) as Prompt[]),
      responseMode: row.response_mode === 'form_post' ? 'form_post' : 'query',
      nonce: row.nonce ?? undefined,
      maxAge: row.max_age ?? undefined,
      claims: deserializeClaimsRequest(row.claims),
      loginHint: row.login_hint ?? undefined,
      uiLocales: row.ui_locales ?? undefined,
      idTokenHint: undefined,
      expectedSubject: row.id_token_hint_subject ?? undefined,
      resource: row.resource ?? undefined,
    },
  };
}

export async function markPendingRequestLoggedIn(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('authorization_requests').set({ logged_in: 1 }).where('id', '=', id).execute();
}

/**
 * Marks a pending request completed. Returns false when another request completed it first,
 * so at most one code or one denial comes out of one pending request.
 */
export async function completePendingRequest(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('authorization_requests')
    .set({ completed_at: now })
    .where('id', '=', id)
    .where('completed_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
