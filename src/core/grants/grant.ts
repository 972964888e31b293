import type { Client } from '../client.js';
import type { Parameters } from '../params.js';
import type { IdTokenIssuer, TokenLifetimes, TokenResponse } from '../token-issuance.js';
import type { TokenStore } from '../token-store.js';

/** Everything a grant handler needs; the token endpoint has already authenticated the client. */
export interface GrantContext {
  client: Client;
  parameters: Parameters;
  store: TokenStore;
  lifetimes: TokenLifetimes;
  idTokens: IdTokenIssuer;
  now: number;
}

export interface GrantHandler {
  grantType: string;
  handle(context: GrantContext): Promise<TokenResponse>;
}
