import { isAccessTokenFormat } from '../core/client.js';
import { findAudienceProblem, RESOURCE_SERVER_ID_PREFIX } from '../core/resource-indicator.js';
import { isValidScopeToken } from '../core/scope.js';
import { generateId, generateSecret, hashSecret } from '../core/secrets.js';
import { loadConfiguration } from '../config.js';
import { AudienceTakenError, insertResourceServer, listResourceServers } from '../storage/resource-servers.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions, printTable, readDisplayName } from './output.js';

/** `gatehouse resource ...`: register the APIs that receive access tokens and may introspect them. */
export async function runResourceCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'create':
      return createResourceServer(rest);
    case 'list':
      return listAllResourceServers(rest);
    default:
      throw new CliError(`unknown resource command '${subcommand ?? ''}': use create or list`, true);
  }
}

async function createResourceServer(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    name: { type: 'string' },
    audience: { type: 'string' },
    scope: { type: 'string' },
    'access-token-format': { type: 'string' },
    json: { type: 'boolean' },
  });
  const name = readDisplayName(options.name);
  const audience = options.audience;
  if (audience === undefined) throw new CliError('missing required option --audience', true);
  const problem = findAudienceProblem(audience);
  if (problem !== undefined) throw new CliError(`invalid --audience '${audience}': it ${problem}`);
  // Tokens without a resource carry the issuer as their audience; a server with that audience would see them all.
  if (audience === loadConfiguration().issuer) throw new CliError('--audience must not be the issuer URL');
  const scopes = (options.scope ?? '').split(/\s+/).filter(Boolean);
  for (const scope of scopes) {
    if (!isValidScopeToken(scope)) throw new CliError(`invalid scope '${scope}' in --scope`);
  }
  const format = options['access-token-format'];
  if (format !== undefined && !isAccessTokenFormat(format)) {
    throw new CliError(`unsupported --access-token-format '${format}': use jwt or opaque`);
  }

  const id = `${RESOURCE_SERVER_ID_PREFIX}${generateId()}`;
  const secret = generateSecret();
  await withDatabase(async ({ db }) => {
    try {
      await insertResourceServer(db, {
        id,
        name,
        secretHash: hashSecret(secret),
        audience,
        allowedScopes: [...new Set(scopes)],
        accessTokenFormat: format,
        now: Date.now(),
      });
    } catch (error) {
      if (error instanceof AudienceTakenError) throw new CliError(error.message);
      throw error;
    }
  });

  if (options.json === true) {
    console.log(JSON.stringify({ id, secret, audience }));
    return 0;
  }
  console.log(`created resource server '${name}'`);
  console.log(`id:       ${id}`);
  console.log(`secret:   ${secret}`);
  console.log(`audience: ${audience}`);
  console.log('The secret is shown only this once; Gatehouse stores only its hash.');
  return 0;
}

async function listAllResourceServers(args: string[]): Promise<number> {
  const options = parseOptions(args, { json: { type: 'boolean' } });
  const servers = await withDatabase(({ db }) => listResourceServers(db));
  if (options.json === true) {
    const rows = servers.map((server) => ({
      id: server.id,
      name: server.name,
      audience: server.audience,
      scope: server.allowedScopes.join(' '),
      access_token_format: server.accessTokenFormat ?? null,
      disabled: server.disabled,
      created_at: new Date(server.createdAt).toISOString(),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['ID', 'NAME', 'AUDIENCE', 'SCOPE', 'FORMAT'],
    servers.map((server) => [
      server.id,
      server.name,
      server.audience,
      server.allowedScopes.join(' '),
      server.accessTokenFormat ?? 'client',
    ]),
  );
  return 0;
}
