/**
 * `npm start`: runs Gatehouse and the demo consumer in one process, so a fresh checkout can walk
 * the whole OpenID Connect sign-in and sign-out in a browser.
 *
 * Gatehouse reads its usual GATEHOUSE_* configuration (by default http://localhost:9000 with
 * SQLite at ./data/gatehouse.sqlite, relative to the working folder). The consumer listens on 127.0.0.1, port 3000 or
 * DEMO_CONSUMER_PORT, and is registered with the redirect URI http://localhost:PORT/callback and
 * the post-logout redirect URI http://localhost:PORT/signed-out.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { startConsumer, type Consumer } from '../examples/consumer/consumer.js';
import { ConfigurationError, loadConfiguration } from '../src/config.js';
import { generateId, generateSecret, hashSecret, secretMatchesHash } from '../src/core/secrets.js';
import { hashPassword, verifyPassword } from '../src/passwords.js';
import { createGatehouse, type Gatehouse } from '../src/server.js';
import { insertClient, listClients, updateClientRegistration, updateClientSecret } from '../src/storage/clients.js';
import type { Database } from '../src/storage/schema.js';
import { findUserByUsername, insertUser } from '../src/storage/users.js';

const DEMO_USERNAME = 'demo';
/** A fixed, public password: the demo prints it so anyone can sign in. Never use it outside the demo. */
const DEMO_PASSWORD = 'demo-password';
const DEMO_CLIENT_NAME = 'Demo Consumer';
/** The scopes the demo client may request: openid for the ID token, and what the consumer shows. */
const DEMO_CLIENT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const DEMO_CLIENT_FILE = resolve('data', 'demo-client.json');
const DEFAULT_CONSUMER_PORT = 3000;

/** The demo client's credentials as saved in data/demo-client.json. Gatehouse stores only the secret's hash. */
interface SavedClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

async function main(): Promise<number> {
  let config;
  let consumerPort;
  try {
    config = loadConfiguration();
    consumerPort = readConsumerPort(process.env.DEMO_CONSUMER_PORT);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(`start-demo: ${error.message}`);
    return 2;
  }
  const consumerUrl = `http://localhost:${consumerPort}`;

  let gatehouse: Gatehouse;
  try {
    gatehouse = await createGatehouse(config);
  } catch (error) {
    console.error(`start-demo: opening and migrating the database failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const log = gatehouse.app.log;
  let consumer: Consumer | undefined;
  try {
    await ensureDemoUser(gatehouse.database.db, log);
    const credentials = await ensureDemoClient(
      gatehouse.database.db,
      { redirectUri: `${consumerUrl}/callback`, postLogoutRedirectUri: `${consumerUrl}/signed-out` },
      log,
    );

    await gatehouse.app.listen({ port: config.port, host: config.host });
    log.info({ issuer: config.issuer }, 'gatehouse started');
    consumer = await startConsumer({
      issuer: config.issuer,
      clientId: credentials.client_id,
      clientSecret: credentials.client_secret,
      port: consumerPort,
      host: '127.0.0.1',
      url: consumerUrl,
      logger: log.child({ app: 'demo-consumer' }),
    });
    log.info({ url: consumer.url, username: DEMO_USERNAME }, 'demo consumer started');
  } catch (error) {
    log.error({ err: error }, 'the demo failed to start');
    await consumer?.close();
    await gatehouse.close();
    return 1;
  }

  printInstructions(consumer.url, config.issuer);
  await waitForStopSignal(log);
  return (await stopAll(gatehouse, consumer, log)) ? 0 : 1;
}

function readConsumerPort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_CONSUMER_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new ConfigurationError(`DEMO_CONSUMER_PORT must be a port number from 1 to 65535, got '${value}'`);
  }
  return port;
}

/** Creates the demo user when missing. An existing user keeps its password, and a warning is logged when it differs. */
async function ensureDemoUser(db: Kysely<Database>, log: FastifyBaseLogger): Promise<void> {
  const existing = await findUserByUsername(db, DEMO_USERNAME);
  if (existing === undefined) {
    await insertUser(db, {
      id: generateId(),
      username: DEMO_USERNAME,
      passwordHash: await hashPassword(DEMO_PASSWORD),
      name: 'Demo User',
      email: 'demo@example.com',
      now: Date.now(),
    });
    log.info({ username: DEMO_USERNAME }, 'demo user created');
    return;
  }
  if (!(await verifyPassword(DEMO_PASSWORD, existing.password_hash))) {
    log.warn(
      { username: DEMO_USERNAME },
      `the demo user has a changed password, so '${DEMO_PASSWORD}' will not work; set it again with ` +
        '`gatehouse user set-password --username demo --password-stdin`',
    );
  }
}

/** The consumer's addresses that the demo client is registered with. */
interface DemoClientUris {
  redirectUri: string;
  postLogoutRedirectUri: string;
}

/**
 * Returns working credentials for the demo client registered with `uris.redirectUri`, creating
 * the client when there is none. An existing client that lacks the post-logout redirect URI or one
 * of the demo scopes, because an older demo created it, gets them added. Gatehouse stores only a
 * hash of the secret, so the secret is read from data/demo-client.json. When that file is missing
 * or contains no valid secret for the client, the client's secret is rotated and the file is
 * written again.
 */
async function ensureDemoClient(db: Kysely<Database>, uris: DemoClientUris, log: FastifyBaseLogger): Promise<SavedClient> {
  const { redirectUri, postLogoutRedirectUri } = uris;
  const saved = await readSavedClient(log);
  const candidates = (await listClients(db)).filter(
    (client) =>
      client.name === DEMO_CLIENT_NAME &&
      client.redirectUris.includes(redirectUri) &&
      client.secretHash !== null &&
      !client.disabled,
  );
  const client = candidates.find((candidate) => candidate.id === saved?.client_id) ?? candidates[0];

  if (client !== undefined) {
    const missingScopes = DEMO_CLIENT_SCOPES.filter((scope) => !client.allowedScopes.includes(scope));
    const missingLogoutUri = !client.postLogoutRedirectUris.includes(postLogoutRedirectUri);
    if (missingScopes.length > 0 || missingLogoutUri) {
      // Adds to the registration without removing anything an operator registered.
      const postLogoutRedirectUris = missingLogoutUri
        ? [...client.postLogoutRedirectUris, postLogoutRedirectUri]
        : client.postLogoutRedirectUris;
      const allowedScopes = [...client.allowedScopes, ...missingScopes];
      await updateClientRegistration(db, client.id, { postLogoutRedirectUris, allowedScopes }, Date.now());
      log.info({ clientId: client.id, postLogoutRedirectUris, allowedScopes }, 'demo client registration updated for OpenID Connect');
    }
  }

  if (client?.secretHash != null && saved?.client_id === client.id && secretMatchesHash(saved.client_secret, client.secretHash)) {
    return saved;
  }

  const secret = generateSecret();
  const credentials: SavedClient = { client_id: client?.id ?? generateId(), client_secret: secret, redirect_uri: redirectUri };
  if (client === undefined) {
    await insertClient(db, {
      id: credentials.client_id,
      name: DEMO_CLIENT_NAME,
      secretHash: hashSecret(secret),
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [postLogoutRedirectUri],
      allowedScopes: DEMO_CLIENT_SCOPES,
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      requirePkce: true,
      now: Date.now(),
    });
    log.info({ clientId: credentials.client_id, redirectUri, postLogoutRedirectUri }, 'demo client created');
  } else {
    await updateClientSecret(db, client.id, hashSecret(secret), Date.now());
    log.info({ clientId: client.id }, `demo client secret rotated, because ${DEMO_CLIENT_FILE} had no valid secret for it`);
  }
  await writeSavedClient(credentials);
  log.info({ file: DEMO_CLIENT_FILE }, 'demo client credentials saved');
  return credentials;
}

async function readSavedClient(log: FastifyBaseLogger): Promise<SavedClient | undefined> {
  let text;
  try {
    text = await readFile(DEMO_CLIENT_FILE, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<SavedClient>;
    if (typeof parsed.client_id === 'string' && typeof parsed.client_secret === 'string' && typeof parsed.redirect_uri === 'string') {
      return { client_id: parsed.client_id, client_secret: parsed.client_secret, redirect_uri: parsed.redirect_uri };
    }
  } catch {
    // Reported below like a file with missing fields.
  }
  log.warn({ file: DEMO_CLIENT_FILE }, 'ignoring the saved demo client: the file is not valid JSON with client_id, client_secret and redirect_uri');
  return undefined;
}

/** Writes the credentials readable by the owner only, through a temporary file so a crash never leaves half a file. */
async function writeSavedClient(credentials: SavedClient): Promise<void> {
  await mkdir(dirname(DEMO_CLIENT_FILE), { recursive: true });
  const temporary = `${DEMO_CLIENT_FILE}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, DEMO_CLIENT_FILE);
}

function printInstructions(consumerUrl: string, issuer: string): void {
  console.log(
    [
      '',
      'The Gatehouse demo is running.',
      `  1. Open ${consumerUrl} and click "Connect with Gatehouse".`,
      `  2. Sign in to Gatehouse (${issuer}) with username '${DEMO_USERNAME}' and password '${DEMO_PASSWORD}'.`,
      '  3. Allow the Demo Consumer on the consent page; it then shows the ID token claims and the userinfo response.',
      '  4. Click "Sign out" to end the session at Gatehouse too; the next Connect asks for the password again.',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
}

function waitForStopSignal(log: FastifyBaseLogger): Promise<void> {
  return new Promise((resolvePromise) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping the demo');
      resolvePromise();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Closes the consumer, then Gatehouse, letting requests in flight finish. Returns false when closing failed. */
async function stopAll(gatehouse: Gatehouse, consumer: Consumer, log: FastifyBaseLogger): Promise<boolean> {
  try {
    await consumer.close();
    await gatehouse.close();
    log.info('demo stopped');
    return true;
  } catch (error) {
    log.error({ err: error }, 'error while stopping the demo');
    return false;
  }
}

process.exitCode = await main();
