import { formatScope } from './scope.js';
import { generateSecret, hashSecret } from './secrets.js';
import type { TokenStore } from './token-store.js';

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
  return response;
}
