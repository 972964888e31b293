import type { AccessTokenFormat, Client } from './client.js';
import type { ResourceServer } from './resource-indicator.js';
import { formatScope } from './scope.js';
import { generateId, generateSecret, hashSecret } from './secrets.js';
import type { ClaimsRequest } from './oidc/claims.js';
import type { TokenStore } from './token-store.js';

/** Inputs of an ID token, which the issuer port signs with the server's keys. */
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

/** The claims of a JWT access token (RFC 9068 section 2.2). */
export interface JwtAccessTokenClaims {
  iss: string;
  exp: number;
  aud: string;
  sub: string;
  client_id: string;
  iat: number;
  jti: string;
  scope?: string;
}

/** Signs JWT access tokens with the server's keys. Implemented outside the core. */
export interface AccessTokenSigner {
  /** The issuer identifier. It is also the audience of tokens issued without a resource. */
  readonly issuer: string;
  sign(claims: JwtAccessTokenClaims): Promise<string>;
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
  /** The grant type of the token request, recorded in the audit log. */
  grantType: string;
  /** The resource server the access token is for, or undefined for Gatehouse's own endpoints. */
  resource: ResourceServer | undefined;
  /** The resource the authorization was restricted to, carried by the new refresh token. */
  refreshResource: string | null;
  accessTokenFormat: AccessTokenFormat;
  signer: AccessTokenSigner;
}

/** The resource server's format when it sets one, else the client's (RFC 9068 is opt-in per party). */
export function chooseAccessTokenFormat(client: Client, resource: ResourceServer | undefined): AccessTokenFormat {
  return resource?.accessTokenFormat ?? client.accessTokenFormat;
}

/**
 * Generates an access token (and a refresh token when asked), stores their hashes and builds the
 * response. Every access token has a `jti`; a JWT access token carries it, so its row can be
 * found from the token and revoked.
 */
export async function issueTokens(input: IssueTokensInput): Promise<TokenResponse> {
  const jti = generateId();
  const accessExpiresAt = input.now + input.lifetimes.accessTokenSeconds * 1000;
  const accessToken =
    input.accessTokenFormat === 'jwt' ? await signAccessToken(input, jti, accessExpiresAt) : generateSecret();
  const refreshToken = input.refreshScopes === undefined ? undefined : generateSecret();
  const refreshExpiresAt = Math.min(input.now + input.lifetimes.refreshTokenSeconds * 1000, input.familyExpiresAt);

  await input.store.insertTokens({
    familyId: input.familyId,
    clientId: input.clientId,
    userId: input.userId,
    now: input.now,
    authTime: input.authTime,
    claims: input.claims,
    grantType: input.grantType,
    access: {
      tokenHash: hashSecret(accessToken),
      jti,
      scopes: input.accessScopes,
      expiresAt: accessExpiresAt,
      resource: input.resource?.audience ?? null,
    },
    refresh:
      refreshToken === undefined || input.refreshScopes === undefined
        ? undefined
        : {
            tokenHash: hashSecret(refreshToken),
            scopes: input.refreshScopes,
            expiresAt: refreshExpiresAt,
            resource: input.refreshResource,
          },
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

/**
 * Signs a JWT access token (RFC 9068 section 2.2). `sub` is the user, or the client itself for
 * the client credentials grant; `aud` is the resource, or the issuer for Gatehouse's own endpoints.
 */
function signAccessToken(input: IssueTokensInput, jti: string, expiresAt: number): Promise<string> {
  const claims: JwtAccessTokenClaims = {
    iss: input.signer.issuer,
    exp: Math.floor(expiresAt / 1000),
    aud: input.resource?.audience ?? input.signer.issuer,
    sub: input.userId ?? input.clientId,
    client_id: input.clientId,
    iat: Math.floor(input.now / 1000),
    jti,
  };
  if (input.accessScopes.length > 0) claims.scope = formatScope(input.accessScopes);
  return input.signer.sign(claims);
}
