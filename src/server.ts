import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import type { Configuration } from './config.js';
import { buildApp, type BuildAppOptions } from './http/app.js';
import type { AppContext } from './http/context.js';
import { loadViews } from './http/views.js';
import { openDatabase, type DatabaseHandle } from './storage/database.js';
import { migrateToLatest } from './storage/migrate.js';
import { SignedAccessTokenSigner } from './keys/access-token-signer.js';
import { SignedIdTokenIssuer } from './keys/id-token-issuer.js';
import { SigningKeys } from './keys/signing-keys.js';
import { KyselyDeviceAuthorizationStore } from './storage/device-authorizations.js';
import { KyselyResourceServerDirectory } from './storage/resource-servers.js';
import { KyselyTokenStore } from './storage/tokens.js';
import { startSweeper, type Sweeper } from './sweeper.js';

export interface Gatehouse {
  app: FastifyInstance;
  context: AppContext;
  database: DatabaseHandle;
  sweeper: Sweeper;
  close(): Promise<void>;
}

export interface CreateGatehouseOptions extends BuildAppOptions {
  clock?: Clock;
  /** Run migrations before serving. True by default. */
  migrate?: boolean;
}

/** Opens the database, migrates it and builds the application. The caller decides whether to listen. */
export async function createGatehouse(config: Configuration, options: CreateGatehouseOptions = {}): Promise<Gatehouse> {
  const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
  try {
    if (options.migrate !== false) await migrateToLatest(database.db, database.kind);
    const clock = options.clock ?? systemClock;
    const signingKeys = new SigningKeys(database.db, clock);
    await signingKeys.ensureActiveKeys();
    const context: AppContext = {
      config,
      db: database.db,
      databaseHealth: database.health,
      tokens: new KyselyTokenStore(database.db),
      signingKeys,
      idTokens: new SignedIdTokenIssuer(database.db, signingKeys, clock, config.issuer, config.idTokenSeconds),
      accessTokenSigner: new SignedAccessTokenSigner(signingKeys, config.issuer),
      resourceServers: new KyselyResourceServerDirectory(database.db),
      devices: new KyselyDeviceAuthorizationStore(database.db),
      clock,
      views: loadViews(),
    };
    const logger = options.logger ?? { level: config.logLevel };
    const app = await buildApp(context, { logger });
    database.health.whenRecovered(() => app.log.info('database available again'));
    const sweeper = startSweeper(database.db, context.clock, app.log, config.sweepIntervalSeconds);
    return {
      app,
      context,
      database,
      sweeper,
      async close() {
        await sweeper.stop();
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
