import type { SigningAlgorithm } from './oidc/algorithms.js';

/** A registered client as the protocol core sees it. */
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
  /** Where RP-initiated logout may send the browser afterwards; matched exactly. */
  postLogoutRedirectUris: string[];
  idTokenSignedResponseAlg: SigningAlgorithm;
}

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export function isPublicClient(client: Client): boolean {
  return client.tokenEndpointAuthMethod === 'none';
}
