import { InsufficientScope, InvalidToken } from '../errors.js';

/** The scope a token needs for the userinfo endpoint, also named in the endpoint's 403 challenge. */
export const USERINFO_SCOPE = 'openid';

/** Facts about a live access token that the userinfo endpoint checks. */
export interface UserinfoTokenFacts {
  userId: string | null;
  scopes: readonly string[];
  /** The resource the token is restricted to, or null for Gatehouse's own endpoints. */
  resource: string | null;
}

/**
 * Decides whether a live access token may read the userinfo endpoint and returns the user it
 * reads. The endpoint belongs to OpenID Connect (Core section 5.3): a token from a plain OAuth
 * request, without the `openid` scope, gets 403 `insufficient_scope` (RFC 6750 section 3.1).
 */
export function authorizeUserinfo(token: UserinfoTokenFacts): string {
  if (token.userId === null) throw new InvalidToken('the access token was not issued for a user');
  // RFC 8707: a token restricted to a resource server is not meant for Gatehouse's own endpoints.
  if (token.resource !== null) throw new InvalidToken('the access token was issued for another resource');
  if (!token.scopes.includes(USERINFO_SCOPE)) {
    throw new InsufficientScope(`the userinfo endpoint needs an access token with the '${USERINFO_SCOPE}' scope`);
  }
  return token.userId;
}
