import { formatScope } from './scope.js';
import { generateSecret, hashSecret } from './secrets.js';
import type { ClaimsRequest } from './oidc/claims.js';
import type { TokenStore } from './token-store.js';

/** What an ID token is built from; the issuer port signs it with the server's keys. */
export interface IdTokenRequest {
  clientId: string;
  userId: string;
  scopes: string[];
  authTime: number;
  nonce: string | undefined;
  accessToken: string;
  claims: ClaimsRequest | undefined;
}

/** Builds and signs ID tokens. Implemented outside the core, where keys and users are stored. */
export interface IdTokenIssuer {
  issue(request: IdTokenRequest): Promise<string>;
}

export interface TokenLifetimes {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /** The absolute limit of a refresh token family, counted from the first token (RFC 9700 section 4.14.2). */
  refreshFamilySeconds: number;
}

/** The successful token response of RFC 6749 section 5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Omitted when the token carries no scope. */
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

export interface IssueTokensInput {
  store: TokenStore;
  lifetimes: TokenLifetimes;
  now: number;
  familyId: string;
  familyExpiresAt: number;
  clientId: string;
  userId: string | null;
  authTime: number | null;
  accessScopes: string[];
  /** Scopes of the new refresh token; undefined when no refresh token is issued. */
  refreshScopes: string[] | undefined;
  claims: ClaimsRequest | undefined;
  /** Set when the grant includes `openid` and has a user, so the response carries an ID token. */
  idToken: { issuer: IdTokenIssuer; nonce: string | undefined } | undefined;
}

/** Generates an access token (and a refresh token when asked), stores their hashes and builds the response. */
export async function issueTokens(input: IssueTokensInput): Promise<TokenResponse> {
  const accessToken = generateSecret();
  const accessExpiresAt = input.now + input.lifetimes.accessTokenSeconds * 1000;
  const refreshToken = input.refreshScopes === undefined ? undefined : generateSecret();
  const refreshExpiresAt = Math.min(input.now + input.lifetimes.refreshTokenSeconds * 1000, input.familyExpiresAt);

  await input.store.insertTokens({
    familyId: input.familyId,
    clientId: input.clientId,
    userId: input.userId,
    now: input.now,
    authTime: input.authTime,
    claims: input.claims,
    access: { tokenHash: hashSecret(accessToken), scopes: input.accessScopes, expiresAt: accessExpiresAt },
    refresh:
      refreshToken === undefined || input.refreshScopes === undefined
        ? undefined
        : { tokenHash: hashSecret(refreshToken), scopes: input.refreshScopes, expiresAt: refreshExpiresAt },
  });

  const response: TokenResponse = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: input.lifetimes.accessTokenSeconds,
  };
  if (input.accessScopes.length > 0) response.scope = formatScope(input.accessScopes);
  if (refreshToken !== undefined) response.refresh_token = refreshToken;
  if (input.idToken !== undefined && input.userId !== null && input.authTime !== null) {
    response.id_token = await input.idToken.issuer.issue({
      clientId: input.clientId,
      userId: input.userId,
      scopes: input.accessScopes,
      authTime: input.authTime,
      nonce: input.idToken.nonce,
      accessToken,
      claims: input.claims,
    });
  }
  return response;
}
