import type { Kysely, Selectable } from 'kysely';
import { isAccessTokenFormat, type AccessTokenFormat } from '../core/client.js';
import type { ResourceServer, ResourceServerDirectory } from '../core/resource-indicator.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { Database, ResourceServersTable } from './schema.js';

export interface NewResourceServer {
  id: string;
  name: string;
  secretHash: string;
  audience: string;
  allowedScopes: string[];
  accessTokenFormat: AccessTokenFormat | undefined;
  now: number;
}

export class AudienceTakenError extends Error {
  constructor(readonly audience: string) {
    super(`a resource server with audience '${audience}' already exists`);
  }
}

export async function insertResourceServer(db: Kysely<Database>, server: NewResourceServer): Promise<void> {
  if ((await findResourceServerByAudience(db, server.audience)) !== undefined) throw new AudienceTakenError(server.audience);
  await db
    .insertInto('resource_servers')
    .values({
      id: server.id,
      name: server.name,
      secret_hash: server.secretHash,
      audience: server.audience,
      allowed_scopes: serializeStringList(server.allowedScopes),
      access_token_format: server.accessTokenFormat ?? null,
      disabled: 0,
      created_at: server.now,
      updated_at: server.now,
    })
    .execute();
}

export async function findResourceServer(db: Kysely<Database>, id: string): Promise<ResourceServer | undefined> {
  const row = await db.selectFrom('resource_servers').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toResourceServer(row);
}

export async function findResourceServerByAudience(
  db: Kysely<Database>,
  audience: string,
): Promise<ResourceServer | undefined> {
  const row = await db.selectFrom('resource_servers').selectAll().where('audience', '=', audience).executeTakeFirst();
  return row === undefined ? undefined : toResourceServer(row);
}

export async function listResourceServers(db: Kysely<Database>): Promise<Array<ResourceServer & { createdAt: number }>> {
  const rows = await db.selectFrom('resource_servers').selectAll().orderBy('created_at').execute();
  return rows.map((row) => ({ ...toResourceServer(row), createdAt: row.created_at }));
}

/** The resource server directory the grants use. */
export class KyselyResourceServerDirectory implements ResourceServerDirectory {
  constructor(private readonly db: Kysely<Database>) {}

  findByAudience(audience: string): Promise<ResourceServer | undefined> {
    return findResourceServerByAudience(this.db, audience);
  }
}

function toResourceServer(row: Selectable<ResourceServersTable>): ResourceServer {
  const format = row.access_token_format;
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    audience: row.audience,
    allowedScopes: parseStringList(row.allowed_scopes),
    accessTokenFormat: format !== null && isAccessTokenFormat(format) ? format : undefined,
    disabled: row.disabled === 1,
  };
}
