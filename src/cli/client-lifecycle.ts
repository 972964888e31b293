import type { Kysely } from 'kysely';
import { isAccessTokenFormat, type AccessTokenFormat } from '../core/client.js';
import { findAudienceProblem } from '../core/resource-indicator.js';
import { deleteClient, findClient } from '../storage/clients.js';
import { findResourceServerByAudience } from '../storage/resource-servers.js';
import type { Database } from '../storage/schema.js';
import { KyselyTokenStore } from '../storage/tokens.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions } from './output.js';

/** The options of `client create` that choose the client's access tokens. */
export const CLIENT_TOKEN_OPTIONS = {
  'access-token-format': { type: 'string' },
  resource: { type: 'string', multiple: true },
} as const;

export interface ClientTokenSettings {
  accessTokenFormat: AccessTokenFormat;
  allowedResources: string[];
}

/** Checks --access-token-format (default opaque) and the syntax of each --resource. */
export function parseClientTokenSettings(options: { 'access-token-format'?: string; resource?: string[] }): ClientTokenSettings {
  const format = options['access-token-format'] ?? 'opaque';
  if (!isAccessTokenFormat(format)) throw new CliError(`unsupported --access-token-format '${format}': use jwt or opaque`);
  const resources = [...new Set(options.resource ?? [])];
  for (const resource of resources) {
    const problem = findAudienceProblem(resource);
    if (problem !== undefined) throw new CliError(`invalid --resource '${resource}': it ${problem}`);
  }
  return { accessTokenFormat: format, allowedResources: resources };
}

/** Rejects a --resource that names no registered resource server. */
export async function checkResourcesRegistered(db: Kysely<Database>, resources: readonly string[]): Promise<void> {
  for (const resource of resources) {
    if ((await findResourceServerByAudience(db, resource)) === undefined) {
      throw new CliError(`no resource server with audience '${resource}': create it first with 'gatehouse resource create'`);
    }
  }
}

/** Revokes every token of a client, as `client disable` does. Returns how many token families were revoked. */
export function revokeAllClientTokens(db: Kysely<Database>, clientId: string, reason: string): Promise<number> {
  return new KyselyTokenStore(db).revokeClientFamilies(clientId, Date.now(), reason);
}

/** `client delete --client-id ID`: revokes every token of the client, then deletes it with its grants. */
export async function deleteClientCommand(args: string[]): Promise<number> {
  const options = parseOptions(args, { 'client-id': { type: 'string' } });
  const clientId = options['client-id'];
  if (clientId === undefined) throw new CliError('missing required option --client-id', true);
  const revoked = await withDatabase(async ({ db }) => {
    if ((await findClient(db, clientId)) === undefined) throw new CliError(`no client with id '${clientId}'`);
    const families = await revokeAllClientTokens(db, clientId, 'client deleted');
    await deleteClient(db, clientId);
    return families;
  });
  console.log(`client '${clientId}' deleted; ${revoked} token families revoked`);
  return 0;
}
