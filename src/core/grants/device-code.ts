import { DEVICE_CODE_GRANT_TYPE } from '../client.js';
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, SlowDown } from '../errors.js';
import { requireParameter } from '../params.js';
import { limitScopesToResource } from '../resource-indicator.js';
import { hashSecret } from '../secrets.js';
import { chooseAccessTokenFormat, issueTokens, type TokenResponse } from '../token-issuance.js';
import type { GrantContext, GrantHandler } from './grant.js';
import { resolveTargetResource } from './target-resource.js';

/** RFC 8628 section 3.5 returns access_denied in a token error response, whose status is 400. */
class DeviceAccessDenied extends AccessDenied {
  override readonly status = 400;
}

/**
 * The device authorization grant (RFC 8628 section 3.4). The device polls with its device code
 * until the user approves or denies on the /device page; an approved authorization gives tokens
 * to exactly one poll, and the device code is spent after that.
 */
async function handle(context: GrantContext): Promise<TokenResponse> {
  const { client, parameters, store, lifetimes, idTokens, now } = context;
  const deviceCode = requireParameter(parameters, 'device_code');

  const poll = await context.devices.pollDeviceAuthorization(hashSecret(deviceCode), client.id, now);
  switch (poll.outcome) {
    case 'invalid':
      throw new InvalidGrant("'device_code' is invalid", poll.reason);
    case 'expired':
      throw new ExpiredToken("'device_code' has expired; start a new device authorization");
    case 'slow_down':
      throw new SlowDown('the device polls too often; wait 5 seconds longer between requests');
    case 'pending':
      throw new AuthorizationPending('the user has not yet approved or denied the request');
    case 'denied':
      throw new DeviceAccessDenied('the user denied the request, or the approval was withdrawn');
    case 'approved':
      break;
  }

  const approved = poll.authorization;
  const resource = await resolveTargetResource(context, approved.resource);
  const refreshAllowed = client.grantTypes.includes('refresh_token');
  return issueTokens({
    store,
    lifetimes,
    now,
    familyId: approved.familyId,
    familyExpiresAt: approved.familyExpiresAt,
    clientId: client.id,
    userId: approved.userId,
    authTime: approved.authTime,
    accessScopes: limitScopesToResource(approved.scopes, resource),
    refreshScopes: refreshAllowed ? approved.scopes : undefined,
    claims: undefined,
    idToken: approved.scopes.includes('openid') ? { issuer: idTokens, nonce: undefined } : undefined,
    grantType: DEVICE_CODE_GRANT_TYPE,
    resource,
    refreshResource: approved.resource,
    accessTokenFormat: chooseAccessTokenFormat(client, resource),
    signer: context.accessTokenSigner,
  });
}

export const deviceCodeGrant: GrantHandler = { grantType: DEVICE_CODE_GRANT_TYPE, handle };
