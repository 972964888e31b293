import type { SigningAlgorithm } from './oidc/algorithms.js';

/** A registered client, with the fields the protocol core uses. */
export interface Client {
  id: string;
  name: string;
  /** SHA-256 of the client secret; null for public clients. */
  secretHash: string | null;
  redirectUris: string[];
  allowedScopes: string[];
  grantTypes: GrantType[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** PKCE (S256) is required for this client's authorization requests. Always true for public clients. */
  requirePkce: boolean;
  disabled: boolean;
  /** Addresses that RP-initiated logout may send the browser to afterwards, matched exactly. */
  postLogoutRedirectUris: string[];
  idTokenSignedResponseAlg: SigningAlgorithm;
  /** The format of access tokens issued to this client, unless the resource server sets one. */
  accessTokenFormat: AccessTokenFormat;
  /** Resource indicators (RFC 8707) this client may request tokens for; matched exactly. */
  allowedResources: string[];
}

/** The grant type of the device authorization grant (RFC 8628 section 3.4). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT_TYPE] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export function isPublicClient(client: Client): boolean {
  return client.tokenEndpointAuthMethod === 'none';
}

/** Opaque random strings, or JWTs of RFC 9068 that a resource server can validate alone. */
export const ACCESS_TOKEN_FORMATS = ['opaque', 'jwt'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

export function isAccessTokenFormat(value: string): value is AccessTokenFormat {
  return (ACCESS_TOKEN_FORMATS as readonly string[]).includes(value);
}
