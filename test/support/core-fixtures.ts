import type { Client } from '../../src/core/client.js';
import { hashSecret } from '../../src/core/secrets.js';

/** The secret of the confidential client that `confidentialClient` builds. */
export const CONFIDENTIAL_SECRET = 'confidential-secret-for-unit-tests-0123456789';

/** A confidential client for pure-function tests, registered for client_secret_basic. */
export function confidentialClient(overrides: Partial<Client> = {}): Client {
  return {
    id: 'confidential-client',
    name: 'Confidential Client',
    secretHash: hashSecret(CONFIDENTIAL_SECRET),
    redirectUris: ['https://app.example.com/callback'],
    allowedScopes: ['profile', 'email', 'offline_access', 'api:read'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    requirePkce: false,
    disabled: false,
    postLogoutRedirectUris: [],
    idTokenSignedResponseAlg: 'ES256',
    accessTokenFormat: 'opaque',
    allowedResources: [],
    ...overrides,
  };
}

/** A public (native) client for pure-function tests, registered with a loopback redirect URI. */
export function publicClient(overrides: Partial<Client> = {}): Client {
  return {
    id: 'public-client',
    name: 'Public Client',
    secretHash: null,
    redirectUris: ['http://127.0.0.1/callback', 'https://native.example.com/callback'],
    allowedScopes: ['profile', 'email', 'offline_access'],
    grantTypes: ['authorization_code', 'refresh_token'],
    tokenEndpointAuthMethod: 'none',
    requirePkce: true,
    disabled: false,
    postLogoutRedirectUris: [],
    idTokenSignedResponseAlg: 'ES256',
    accessTokenFormat: 'opaque',
    allowedResources: [],
    ...overrides,
  };
}
