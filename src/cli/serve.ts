import { loadConfiguration } from '../config.js';
import { redactDatabaseUrl } from '../storage/database.js';
import { createGatehouse } from '../server.js';
import { CliError, parseOptions } from './output.js';

/** Starts the server and stops it cleanly on SIGTERM or SIGINT, letting requests in flight finish. */
export async function runServe(args: string[]): Promise<number> {
  const options = parseOptions(args, { port: { type: 'string' }, host: { type: 'string' } });
  const environment = { ...process.env };
  if (options.port !== undefined) environment.GATEHOUSE_PORT = options.port;
  if (options.host !== undefined) environment.GATEHOUSE_HOST = options.host;
  if (options.port !== undefined && !/^\d+$/.test(options.port)) {
    throw new CliError(`--port must be a number from 0 to 65535, got '${options.port}'`);
  }
  const config = loadConfiguration(environment);

  const gatehouse = await createGatehouse(config);
  const { app } = gatehouse;
  if (!config.secureCookies) {
    app.log.warn({ issuer: config.issuer }, 'the issuer is not https: cookies are sent without Secure; use https in production');
  }
  if (config.allowInsecureRedirectUris) {
    app.log.warn('GATEHOUSE_ALLOW_INSECURE_REDIRECT_URIS is on: http redirect URIs on any host can be registered');
  }

  warnOnIssuerPortMismatch(app.log, config.issuer, config.port);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // Close the database pool and timers, or the process lingers until idle connections time out.
    await gatehouse.close().catch(() => undefined);
    throw error;
  }
  app.log.info({ issuer: config.issuer, database: redactDatabaseUrl(config.databaseUrl) }, 'gatehouse started');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info({ signal }, 'stopping: finishing requests in flight');
      gatehouse
        .close()
        .catch((error: unknown) => app.log.error({ err: error }, 'error while stopping'))
        .finally(() => {
          app.log.info('gatehouse stopped');
          resolve();
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/**
 * Warns when the issuer names localhost on another port than the server listens on: clients would
 * then call an address where nothing listens. Behind a proxy the two differ on purpose, so the
 * check covers loopback issuers only.
 */
function warnOnIssuerPortMismatch(log: { warn(object: object, message: string): void }, issuer: string, port: number): void {
  const url = new URL(issuer);
  if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return;
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const issuerPort = url.port === '' ? defaultPort : Number(url.port);
  if (issuerPort !== port) {
    log.warn(
      { issuer, port },
      'GATEHOUSE_ISSUER names another port than the server listens on; set GATEHOUSE_ISSUER to the address clients use',
    );
  }
}
