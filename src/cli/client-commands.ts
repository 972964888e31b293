import {
  DEVICE_CODE_GRANT_TYPE,
  GRANT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type GrantType,
  type TokenEndpointAuthMethod,
} from '../core/client.js';
import { DEFAULT_SIGNING_ALGORITHM, isSigningAlgorithm, SIGNING_ALGORITHMS } from '../core/oidc/algorithms.js';
import { findRedirectUriProblem } from '../core/redirect-uri.js';
import { RESOURCE_SERVER_ID_PREFIX } from '../core/resource-indicator.js';
import { BUILTIN_SCOPES, isValidScopeToken } from '../core/scope.js';
import { generateId, generateSecret, hashSecret } from '../core/secrets.js';
import { loadConfiguration } from '../config.js';
import { findClient, insertClient, listClients, setClientDisabled, updateClientSecret } from '../storage/clients.js';
import {
  checkResourcesRegistered,
  CLIENT_TOKEN_OPTIONS,
  deleteClientCommand,
  parseClientTokenSettings,
  revokeAllClientTokens,
} from './client-lifecycle.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions, printTable, readDisplayName } from './output.js';

export async function runClientCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'create':
      return createClient(rest);
    case 'list':
      return listAllClients(rest);
    case 'rotate-secret':
      return rotateSecret(rest);
    case 'disable':
      return changeDisabled(rest, true);
    case 'enable':
      return changeDisabled(rest, false);
    case 'delete':
      return deleteClientCommand(rest);
    default:
      throw new CliError(
        `unknown client command '${subcommand ?? ''}': use create, list, rotate-secret, disable, enable or delete`,
        true,
      );
  }
}

/** Checks the options of `client create` and returns the client's registration. */
export function parseClientRegistration(
  options: {
    name?: string;
    'redirect-uri'?: string[];
    'post-logout-redirect-uri'?: string[];
    public?: boolean;
    scope?: string;
    'grant-type'?: string[];
    'token-endpoint-auth-method'?: string;
    'id-token-signed-response-alg'?: string;
  },
  allowInsecureHttp: boolean,
) {
  const name = readDisplayName(options.name);

  const redirectUris = options['redirect-uri'] ?? [];
  const authMethod = options['token-endpoint-auth-method'] ?? (options.public === true ? 'none' : 'client_secret_basic');
  if (!(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(authMethod)) {
    throw new CliError(
      `unsupported --token-endpoint-auth-method '${authMethod}': use ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`,
    );
  }
  if (options.public === true && authMethod !== 'none') {
    throw new CliError('a --public client has no secret, so its --token-endpoint-auth-method must be none');
  }
  const isPublic = authMethod === 'none';
  const idTokenAlg = options['id-token-signed-response-alg'] ?? DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(idTokenAlg)) {
    throw new CliError(`unsupported --id-token-signed-response-alg '${idTokenAlg}': use ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  const grantTypes = [...new Set(options['grant-type'] ?? defaultGrantTypes())] as GrantType[];
  for (const grantType of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new CliError(`unsupported --grant-type '${grantType}': use ${GRANT_TYPES.join(', ')}`);
    }
  }
  const issuesRefreshTokens = grantTypes.some((grantType) => grantType === 'authorization_code' || grantType === DEVICE_CODE_GRANT_TYPE);
  if (grantTypes.includes('refresh_token') && !issuesRefreshTokens) {
    throw new CliError('--grant-type refresh_token needs authorization_code or the device code grant, which issue refresh tokens');
  }
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw new CliError('a --public client cannot use client_credentials: it has no secret to authenticate with');
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new CliError('missing required option --redirect-uri: the authorization code grant needs at least one', true);
  }
  for (const uri of redirectUris) {
    const problem = findRedirectUriProblem(uri, { allowInsecureHttp });
    if (problem !== undefined) throw new CliError(`invalid --redirect-uri '${uri}': it ${problem}`);
  }
  const postLogoutRedirectUris = options['post-logout-redirect-uri'] ?? [];
  for (const uri of postLogoutRedirectUris) {
    const problem = findRedirectUriProblem(uri, { allowInsecureHttp });
    if (problem !== undefined) throw new CliError(`invalid --post-logout-redirect-uri '${uri}': it ${problem}`);
  }

  const scopes = options.scope === undefined ? Object.keys(BUILTIN_SCOPES) : options.scope.split(' ').filter(Boolean);
  if (scopes.length === 0) throw new CliError('--scope must name at least one scope');
  for (const scope of scopes) {
    if (!isValidScopeToken(scope)) throw new CliError(`invalid scope '${scope}' in --scope`);
  }
  return {
    name,
    redirectUris: [...new Set(redirectUris)],
    postLogoutRedirectUris: [...new Set(postLogoutRedirectUris)],
    isPublic,
    tokenEndpointAuthMethod: authMethod as TokenEndpointAuthMethod,
    idTokenSignedResponseAlg: idTokenAlg,
    grantTypes,
    scopes: [...new Set(scopes)],
  };
}

/**
 * Without --grant-type a client gets the authorization code and refresh token grants only; the
 * client credentials and device grants must be asked for, so no client acts for itself by accident.
 */
function defaultGrantTypes(): GrantType[] {
  return ['authorization_code', 'refresh_token'];
}

async function createClient(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    scope: { type: 'string' },
    'grant-type': { type: 'string', multiple: true },
    'token-endpoint-auth-method': { type: 'string' },
    'id-token-signed-response-alg': { type: 'string' },
    ...CLIENT_TOKEN_OPTIONS,
    json: { type: 'boolean' },
  });
  const config = loadConfiguration();
  const registration = parseClientRegistration(options, config.allowInsecureRedirectUris);
  const tokenSettings = parseClientTokenSettings(options);

  let clientId = generateId();
  // Ids with the resource server prefix are resource servers at the introspection endpoint.
  while (clientId.startsWith(RESOURCE_SERVER_ID_PREFIX)) clientId = generateId();
  const secret = registration.isPublic ? undefined : generateSecret();
  await withDatabase(async ({ db }) => {
    await checkResourcesRegistered(db, tokenSettings.allowedResources);
    await insertClient(db, {
      id: clientId,
      name: registration.name,
      secretHash: secret === undefined ? null : hashSecret(secret),
      redirectUris: registration.redirectUris,
      allowedScopes: registration.scopes,
      grantTypes: registration.grantTypes,
      tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod,
      requirePkce: true,
      postLogoutRedirectUris: registration.postLogoutRedirectUris,
      idTokenSignedResponseAlg: registration.idTokenSignedResponseAlg,
      ...tokenSettings,
      now: Date.now(),
    });
  });

  if (options.json === true) {
    console.log(JSON.stringify(secret === undefined ? { client_id: clientId } : { client_id: clientId, client_secret: secret }));
    return 0;
  }
  console.log(`created client '${registration.name}'`);
  console.log(`client_id:     ${clientId}`);
  if (secret !== undefined) {
    console.log(`client_secret: ${secret}`);
    console.log('The secret is shown only this once; Gatehouse stores only its hash.');
  }
  return 0;
}

async function listAllClients(args: string[]): Promise<number> {
  const options = parseOptions(args, { json: { type: 'boolean' } });
  const clients = await withDatabase(({ db }) => listClients(db));
  if (options.json === true) {
    const rows = clients.map((client) => ({
      client_id: client.id,
      name: client.name,
      type: client.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
      redirect_uris: client.redirectUris,
      scope: client.allowedScopes.join(' '),
      grant_types: client.grantTypes,
      disabled: client.disabled,
      created_at: new Date(client.createdAt).toISOString(),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['CLIENT_ID', 'NAME', 'TYPE', 'STATUS', 'REDIRECT_URIS'],
    clients.map((client) => [
      client.id,
      client.name,
      client.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
      client.disabled ? 'disabled' : 'active',
      client.redirectUris.join(' '),
    ]),
  );
  return 0;
}

async function rotateSecret(args: string[]): Promise<number> {
  const options = parseOptions(args, { 'client-id': { type: 'string' }, json: { type: 'boolean' } });
  const clientId = options['client-id'];
  if (clientId === undefined) throw new CliError('missing required option --client-id', true);
  const secret = generateSecret();
  await withDatabase(async ({ db }) => {
    const client = await findClient(db, clientId);
    if (client === undefined) throw new CliError(`no client with id '${clientId}'`);
    if (client.secretHash === null) throw new CliError(`client '${clientId}' is public and has no secret`);
    await updateClientSecret(db, clientId, hashSecret(secret), Date.now());
  });
  if (options.json === true) console.log(JSON.stringify({ client_id: clientId, client_secret: secret }));
  else console.log(`client_secret: ${secret}\nThe old secret no longer works.`);
  return 0;
}

async function changeDisabled(args: string[], disabled: boolean): Promise<number> {
  const options = parseOptions(args, { 'client-id': { type: 'string' } });
  const clientId = options['client-id'];
  if (clientId === undefined) throw new CliError('missing required option --client-id', true);
  const revoked = await withDatabase(async ({ db }) => {
    if (!(await setClientDisabled(db, clientId, disabled, Date.now()))) throw new CliError(`no client with id '${clientId}'`);
    return disabled ? revokeAllClientTokens(db, clientId, 'client disabled') : 0;
  });
  console.log(`client '${clientId}' ${disabled ? `disabled; ${revoked} token families revoked` : 'enabled'}`);
  return 0;
}
