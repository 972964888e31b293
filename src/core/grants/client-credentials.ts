import { InvalidScope, UnauthorizedClient } from '../errors.js';
import { checkResourceScopes, limitScopesToResource } from '../resource-indicator.js';
import { checkScopesAllowed, parseScope } from '../scope.js';
import { generateId } from '../secrets.js';
import { chooseAccessTokenFormat, issueTokens, type TokenResponse } from '../token-issuance.js';
import type { GrantContext, GrantHandler } from './grant.js';

/** Scopes that describe a user; a client acting for itself cannot receive them. */
const USER_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * The client credentials grant (RFC 6749 section 4.4). Confidential clients only, no refresh token
 * (section 4.4.3), and only the client's own registered scopes. With a resource (RFC 8707), only
 * the scopes that both the client and the resource server allow.
 */
async function handle(context: GrantContext): Promise<TokenResponse> {
  const { client, parameters, store, lifetimes, now } = context;
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new UnauthorizedClient('public clients cannot use the client credentials grant');
  }
  const resource = context.requestedResource;
  const serviceScopes = client.allowedScopes.filter((scope) => !USER_SCOPES.has(scope));
  const requested = parameters.get('scope');
  const scopes = requested === undefined ? limitScopesToResource(serviceScopes, resource) : parseScope(requested);
  for (const scope of scopes) {
    if (USER_SCOPES.has(scope)) throw new InvalidScope(`scope '${scope}' needs a user and cannot be granted to a client`);
  }
  checkScopesAllowed(scopes, serviceScopes);
  if (resource !== undefined) checkResourceScopes(scopes, resource);

  const familyId = generateId();
  const expiresAt = now + lifetimes.accessTokenSeconds * 1000;
  await store.createFamily({ id: familyId, clientId: client.id, userId: null, createdAt: now, expiresAt });
  return issueTokens({
    store,
    lifetimes,
    now,
    familyId,
    familyExpiresAt: expiresAt,
    clientId: client.id,
    userId: null,
    authTime: null,
    accessScopes: scopes,
    refreshScopes: undefined,
    claims: undefined,
    idToken: undefined,
    grantType: 'client_credentials',
    resource,
    refreshResource: null,
    accessTokenFormat: chooseAccessTokenFormat(client, resource),
    signer: context.accessTokenSigner,
  });
}

export const clientCredentialsGrant: GrantHandler = { grantType: 'client_credentials', handle };
