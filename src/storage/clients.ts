import type { Kysely, Selectable } from 'kysely';
import { isAccessTokenFormat, type AccessTokenFormat, type Client, type GrantType, type TokenEndpointAuthMethod } from '../core/client.js';
import { DEFAULT_SIGNING_ALGORITHM, isSigningAlgorithm, type SigningAlgorithm } from '../core/oidc/algorithms.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { ClientsTable, Database } from './schema.js';

export interface NewClient {
  id: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  allowedScopes: string[];
  grantTypes: GrantType[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  requirePkce: boolean;
  postLogoutRedirectUris?: string[];
  idTokenSignedResponseAlg?: SigningAlgorithm;
  accessTokenFormat?: AccessTokenFormat;
  allowedResources?: string[];
  now: number;
}

export async function insertClient(db: Kysely<Database>, client: NewClient): Promise<void> {
  await db
    .insertInto('clients')
    .values({
      id: client.id,
      name: client.name,
      secret_hash: client.secretHash,
      redirect_uris: serializeStringList(client.redirectUris),
      allowed_scopes: serializeStringList(client.allowedScopes),
      grant_types: serializeStringList(client.grantTypes),
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      require_pkce: client.requirePkce ? 1 : 0,
      disabled: 0,
      post_logout_redirect_uris: serializeStringList(client.postLogoutRedirectUris ?? []),
      id_token_signed_response_alg: client.idTokenSignedResponseAlg ?? 'ES256',
      access_token_format: client.accessTokenFormat ?? 'opaque',
      allowed_resources: serializeStringList(client.allowedResources ?? []),
      created_at: client.now,
      updated_at: client.now,
    })
    .execute();
}

export async function findClient(db: Kysely<Database>, id: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toClient(row);
}

export async function findClientByName(db: Kysely<Database>, name: string): Promise<Client | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('name', '=', name).orderBy('created_at').executeTakeFirst();
  return row === undefined ? undefined : toClient(row);
}

export async function listClients(db: Kysely<Database>): Promise<Array<Client & { createdAt: number }>> {
  const rows = await db.selectFrom('clients').selectAll().orderBy('created_at').execute();
  return rows.map((row) => ({ ...toClient(row), createdAt: row.created_at }));
}

export async function setClientDisabled(db: Kysely<Database>, id: string, disabled: boolean, now: number): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ disabled: disabled ? 1 : 0, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function updateClientSecret(db: Kysely<Database>, id: string, secretHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({ secret_hash: secretHash, updated_at: now })
    .where('id', '=', id)
    .where('secret_hash', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The registration fields that updateClientRegistration replaces. */
export interface ClientRegistrationUpdate {
  postLogoutRedirectUris: string[];
  allowedScopes: string[];
}

/**
 * Replaces a client's post-logout redirect URIs and allowed scopes. Returns false when no client
 * has the id.
 */
export async function updateClientRegistration(
  db: Kysely<Database>,
  id: string,
  update: ClientRegistrationUpdate,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('clients')
    .set({
      post_logout_redirect_uris: serializeStringList(update.postLogoutRedirectUris),
      allowed_scopes: serializeStringList(update.allowedScopes),
      updated_at: now,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function toClient(row: Selectable<ClientsTable>): Client {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    redirectUris: parseStringList(row.redirect_uris),
    allowedScopes: parseStringList(row.allowed_scopes),
    grantTypes: parseStringList(row.grant_types) as GrantType[],
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    requirePkce: row.require_pkce === 1,
    disabled: row.disabled === 1,
    postLogoutRedirectUris: parseStringList(row.post_logout_redirect_uris),
    idTokenSignedResponseAlg: isSigningAlgorithm(row.id_token_signed_response_alg)
      ? row.id_token_signed_response_alg
      : DEFAULT_SIGNING_ALGORITHM,
    accessTokenFormat: isAccessTokenFormat(row.access_token_format) ? row.access_token_format : 'opaque',
    allowedResources: parseStringList(row.allowed_resources),
  };
}

/** Deletes a client; its grants, pending requests, device authorizations and token families go with it. */
export async function deleteClient(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
