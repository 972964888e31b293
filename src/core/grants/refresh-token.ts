import { InvalidGrant } from '../errors.js';
import { requireParameter } from '../params.js';
import { chooseGrantedResource, limitScopesToResource } from '../resource-indicator.js';
import { checkScopesAllowed, parseScope } from '../scope.js';
import { hashSecret } from '../secrets.js';
import { chooseAccessTokenFormat, issueTokens, type TokenResponse } from '../token-issuance.js';
import type { GrantContext, GrantHandler } from './grant.js';
import { resolveTargetResource } from './target-resource.js';

/** Starts the invalid_scope description for a scope beyond the refreshed grant. */
const NOT_GRANTED = 'the refresh token was not granted';

/**
 * The refresh token grant (RFC 6749 section 6) with rotation on every use.
 *
 * Reuse of a rotated-out refresh token is treated as theft and revokes the whole family
 * (RFC 9700 section 4.14.2). The new refresh token keeps the original scope and resource; a
 * narrower `scope` only narrows the new access token.
 */
async function handle(context: GrantContext): Promise<TokenResponse> {
  const { client, parameters, store, lifetimes, idTokens, now } = context;
  const tokenHash = hashSecret(requireParameter(parameters, 'refresh_token'));
  const requestedScope = parameters.get('scope');
  const requestedScopes = requestedScope === undefined ? undefined : parseScope(requestedScope);

  // Scope and resource are checked before the rotation, which uses the token up: a rejected
  // request must leave the refresh token usable. A token that cannot be rotated skips these
  // checks, so reuse of a rotated-out token still revokes its family below.
  const usable = await store.findUsableRefreshToken(tokenHash, client.id, now);
  if (usable !== undefined) {
    if (requestedScopes !== undefined) checkScopesAllowed(requestedScopes, usable.scopes, NOT_GRANTED);
    chooseGrantedResource(context.requestedResource?.audience, usable.resource);
  }

  const use = await store.rotateRefreshToken(tokenHash, client.id, now);
  if (use.outcome === 'invalid') throw new InvalidGrant("'refresh_token' is invalid or expired", use.reason);
  if (use.outcome === 'reused') {
    await store.revokeFamily(use.familyId, now, 'rotated-out refresh token reused');
    throw new InvalidGrant(
      "'refresh_token' is invalid or expired",
      `rotated-out refresh token reused, family ${use.familyId} revoked`,
    );
  }

  const rotated = use.token;
  // A refresh token's scopes never change, so this repeats the check above on the same row.
  if (requestedScopes !== undefined) checkScopesAllowed(requestedScopes, rotated.scopes, NOT_GRANTED);
  const resource = await resolveTargetResource(context, rotated.resource);
  const accessScopes = limitScopesToResource(requestedScopes ?? rotated.scopes, resource);

  return issueTokens({
    store,
    lifetimes,
    now,
    familyId: rotated.familyId,
    familyExpiresAt: rotated.familyExpiresAt,
    clientId: client.id,
    userId: rotated.userId,
    authTime: rotated.authTime,
    accessScopes,
    refreshScopes: rotated.scopes,
    claims: rotated.claims,
    // OpenID Connect Core section 12.2: a new ID token for the same subject, without a nonce,
    // because a refresh is not an authentication request.
    idToken: rotated.scopes.includes('openid') ? { issuer: idTokens, nonce: undefined } : undefined,
    grantType: 'refresh_token',
    resource,
    refreshResource: rotated.resource,
    accessTokenFormat: chooseAccessTokenFormat(client, resource),
    signer: context.accessTokenSigner,
  });
}

export const refreshTokenGrant: GrantHandler = { grantType: 'refresh_token', handle };
