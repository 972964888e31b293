import { chooseAccessTokenFormat, issueTokens, type TokenResponse } from '../token-issuance.js';
import { InvalidGrant, InvalidRequest } from '../errors.js';
import { requireParameter } from '../params.js';
import { verifyCodeVerifier } from '../pkce.js';
import { limitScopesToResource } from '../resource-indicator.js';
import { hashSecret } from '../secrets.js';
import type { GrantContext, GrantHandler } from './grant.js';
import { resolveTargetResource } from './target-resource.js';

/**
 * The authorization code grant (RFC 6749 section 4.1.3, RFC 7636 section 4.6).
 *
 * The code is consumed before any other check, so a code is never usable twice whatever the
 * outcome. A second redemption revokes every token issued from the code (RFC 6749 section 4.1.2).
 * With a resource (RFC 8707), the access token carries only the granted scopes that resource
 * allows, while the refresh token and ID token keep the whole grant.
 */
async function handle(context: GrantContext): Promise<TokenResponse> {
  const { client, parameters, store, lifetimes, idTokens, now } = context;
  const code = requireParameter(parameters, 'code');
  const redirectUri = parameters.get('redirect_uri');
  const codeVerifier = parameters.get('code_verifier');

  const redemption = await store.consumeAuthorizationCode(hashSecret(code), now);
  if (redemption.outcome === 'unknown') throw new InvalidGrant("'code' is invalid or expired", 'unknown code');
  if (redemption.outcome === 'withdrawn') {
    throw new InvalidGrant("'code' is invalid or expired", 'the authorization was withdrawn after the code was issued');
  }
  if (redemption.outcome === 'replayed') {
    await store.revokeFamily(redemption.familyId, now, 'authorization code replayed');
    throw new InvalidGrant("'code' is invalid or expired", `code replayed, family ${redemption.familyId} revoked`);
  }

  const redeemed = redemption.code;
  if (redeemed.clientId !== client.id) {
    // The same description as for an unknown code, so the response does not confirm that it exists.
    throw new InvalidGrant("'code' is invalid or expired", `code of client '${redeemed.clientId}'`);
  }
  if (redeemed.expiresAt <= now) throw new InvalidGrant("'code' is invalid or expired", 'expired code');
  if (redeemed.redirectUriSent && redirectUri === undefined) {
    throw new InvalidRequest("missing required parameter 'redirect_uri'");
  }
  if (redirectUri !== undefined && redirectUri !== redeemed.redirectUri) {
    throw new InvalidGrant("'redirect_uri' does not match the authorization request");
  }
  verifyCodeVerifier(codeVerifier, redeemed.codeChallenge);
  const resource = await resolveTargetResource(context, redeemed.resource);

  const refreshAllowed = client.grantTypes.includes('refresh_token');
  return issueTokens({
    store,
    lifetimes,
    now,
    familyId: redeemed.familyId,
    familyExpiresAt: redeemed.familyExpiresAt,
    clientId: client.id,
    userId: redeemed.userId,
    authTime: redeemed.authTime,
    accessScopes: limitScopesToResource(redeemed.scopes, resource),
    refreshScopes: refreshAllowed ? redeemed.scopes : undefined,
    claims: redeemed.claims,
    idToken: redeemed.scopes.includes('openid') ? { issuer: idTokens, nonce: redeemed.nonce } : undefined,
    grantType: 'authorization_code',
    resource,
    refreshResource: redeemed.resource,
    accessTokenFormat: chooseAccessTokenFormat(client, resource),
    signer: context.accessTokenSigner,
  });
}

export const authorizationCodeGrant: GrantHandler = { grantType: 'authorization_code', handle };
