import type { Client } from '../client.js';
import type { DeviceAuthorizationStore } from '../device-authorization.js';
import type { Parameters } from '../params.js';
import type { ResourceServer, ResourceServerDirectory } from '../resource-indicator.js';
import type { AccessTokenSigner, IdTokenIssuer, TokenLifetimes, TokenResponse } from '../token-issuance.js';
import type { TokenStore } from '../token-store.js';

/** Everything a grant handler needs; the token endpoint has already authenticated the client. */
export interface GrantContext {
  client: Client;
  parameters: Parameters;
  store: TokenStore;
  devices: DeviceAuthorizationStore;
  resources: ResourceServerDirectory;
  /**
   * The server named by the request's `resource` parameter, already checked to be registered
   * and allowed for the client; undefined without the parameter.
   */
  requestedResource: ResourceServer | undefined;
  lifetimes: TokenLifetimes;
  idTokens: IdTokenIssuer;
  accessTokenSigner: AccessTokenSigner;
  now: number;
}

export interface GrantHandler {
  grantType: string;
  handle(context: GrantContext): Promise<TokenResponse>;
}
