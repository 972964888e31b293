import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Configuration } from '../config.js';
import type { DeviceAuthorizationStore } from '../core/device-authorization.js';
import type { ResourceServerDirectory } from '../core/resource-indicator.js';
import type { AccessTokenSigner, IdTokenIssuer } from '../core/token-issuance.js';
import type { SigningKeys } from '../keys/signing-keys.js';
import type { DatabaseHealth } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { KyselyTokenStore } from '../storage/tokens.js';
import type { Views } from './views.js';

/** Dependencies every route receives; nothing is reached through globals. */
export interface AppContext {
  config: Configuration;
  db: Kysely<Database>;
  databaseHealth: DatabaseHealth;
  tokens: KyselyTokenStore;
  signingKeys: SigningKeys;
  idTokens: IdTokenIssuer;
  accessTokenSigner: AccessTokenSigner;
  resourceServers: ResourceServerDirectory;
  devices: DeviceAuthorizationStore;
  clock: Clock;
  views: Views;
}

/** How a route reports errors: OAuth JSON for protocol endpoints, an HTML page for pages. */
export type ErrorFormat = 'json' | 'page';

declare module 'fastify' {
  interface FastifyContextConfig {
    errorFormat?: ErrorFormat;
  }
}
