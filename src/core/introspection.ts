import { formatScope } from './scope.js';

export type TokenKind = 'access_token' | 'refresh_token';

/** Stored facts about a token, for introspection and revocation. */
export interface TokenDetails {
  kind: TokenKind;
  clientId: string;
  userId: string | null;
  username: string | null;
  scopes: string[];
  /** The resource the token is restricted to; null for Gatehouse's own endpoints. */
  resource: string | null;
  jti: string | null;
  issuedAt: number;
  expiresAt: number;
  /**
   * False when the token or its family is revoked, a refresh token was rotated out, its family
   * reached its absolute lifetime, or its client is disabled. Expiry is checked separately.
   */
  usable: boolean;
}

/** The caller: a client may see only its own tokens, a resource server only access tokens for its audience. */
export type IntrospectionCaller =
  | { kind: 'client'; clientId: string }
  | { kind: 'resource_server'; audience: string };

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * The order in which to look a token up. token_type_hint only changes the order, never the result
 * (RFC 7009 section 2.1, RFC 7662 section 2.1); an unknown hint value is ignored.
 */
export function lookupOrder(hint: string | undefined): TokenKind[] {
  return hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
}

/**
 * Builds the introspection response of RFC 7662 section 2.2. Anything the caller may not see
 * is reported exactly like an unknown token, so the response reveals nothing about it.
 */
export function buildIntrospectionResponse(
  details: TokenDetails | undefined,
  caller: IntrospectionCaller,
  issuer: string,
  now: number,
): IntrospectionResponse {
  if (details === undefined || !details.usable || details.expiresAt <= now) return { active: false };
  if (caller.kind === 'client' && details.clientId !== caller.clientId) return { active: false };
  if (caller.kind === 'resource_server') {
    if (details.kind !== 'access_token' || details.resource !== caller.audience) return { active: false };
  }

  const issuedAt = Math.floor(details.issuedAt / 1000);
  const response: Record<string, unknown> = {
    active: true,
    scope: formatScope(details.scopes),
    client_id: details.clientId,
    exp: Math.floor(details.expiresAt / 1000),
    iat: issuedAt,
    nbf: issuedAt,
    sub: details.userId ?? details.clientId,
    aud: details.resource ?? issuer,
    iss: issuer,
  };
  if (details.username !== null) response.username = details.username;
  if (details.kind === 'access_token') response.token_type = 'Bearer';
  if (details.jti !== null) response.jti = details.jti;
  return response as IntrospectionResponse;
}
