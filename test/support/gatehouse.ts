import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { loadConfiguration, type Configuration } from '../../src/config.js';
import { generateId, generateSecret, hashSecret } from '../../src/core/secrets.js';
import type { AccessTokenFormat, GrantType } from '../../src/core/client.js';
import { RESOURCE_SERVER_ID_PREFIX } from '../../src/core/resource-indicator.js';
import { insertResourceServer } from '../../src/storage/resource-servers.js';
import type { SigningAlgorithm } from '../../src/core/oidc/algorithms.js';
import { hashPassword } from '../../src/passwords.js';
import { createGatehouse, type Gatehouse } from '../../src/server.js';
import { insertClient } from '../../src/storage/clients.js';
import { insertUser } from '../../src/storage/users.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** A clock the test moves by hand, to reach expiry without waiting. */
export class TestClock implements Clock {
  constructor(private current = Date.now()) {}

  now(): number {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

export interface TestGatehouse extends Gatehouse {
  database: Gatehouse['database'];
  testDatabase: TestDatabase;
  clock: TestClock;
  config: Configuration;
  /** Set when started with `listen: true`. */
  baseUrl: string;
  /** Parsed log lines, collected when started with `captureLogs: true`. */
  logLines: Array<Record<string, unknown>>;
  createUser(user?: Partial<TestUserInput>): Promise<TestUser>;
  createClient(client?: Partial<TestClientInput>): Promise<TestClient>;
  createResourceServer(server?: Partial<TestResourceServerInput>): Promise<TestResourceServer>;
  /** Closes the server and drops the test database. */
  stop(): Promise<void>;
}

export interface TestUserInput {
  username: string;
  password: string;
  name: string | null;
  email: string | null;
}

export interface TestUser extends TestUserInput {
  id: string;
}

export interface TestClientInput {
  name: string;
  redirectUris: string[];
  public: boolean;
  scopes: string[];
  grantTypes: GrantType[];
  postLogoutRedirectUris: string[];
  idTokenSignedResponseAlg: SigningAlgorithm;
  /** client_secret_basic (the default for confidential clients) or client_secret_post. */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
  accessTokenFormat: AccessTokenFormat;
  /** Resource indicators the client may request tokens for. */
  resources: string[];
}

export interface TestResourceServerInput {
  name: string;
  audience: string;
  scopes: string[];
  accessTokenFormat: AccessTokenFormat | undefined;
}

export interface TestResourceServer {
  id: string;
  secret: string;
  audience: string;
}

export interface TestClient {
  clientId: string;
  /** Undefined for public clients. */
  secret: string | undefined;
  redirectUri: string;
}

export interface StartOptions {
  /** Extra GATEHOUSE_* variables. */
  environment?: Record<string, string>;
  /** Listen on 127.0.0.1 with a free port and use it as the issuer. */
  listen?: boolean;
  /** Collect the info-level log into `logLines` instead of logging nothing. */
  captureLogs?: boolean;
}

/** Starts Gatehouse on a fresh test database, without logging. */
export async function startTestGatehouse(options: StartOptions = {}): Promise<TestGatehouse> {
  const clock = new TestClock();
  // Configuration errors surface before a database is created, so a failing start leaves none behind.
  const probe = loadConfiguration({ GATEHOUSE_ISSUER: 'http://localhost:9000', ...options.environment });
  const testDatabase = await createTestDatabase();
  const config = { ...probe, databaseUrl: testDatabase.url, databasePoolSize: 5 };
  let baseUrl = config.issuer;
  let finalConfig = config;
  if (options.listen === true) {
    // The issuer must name the real port, so a free one is found before the app is built.
    const port = await findFreePort();
    baseUrl = `http://127.0.0.1:${port}`;
    finalConfig = { ...config, issuer: baseUrl, port };
  }
  const logLines: Array<Record<string, unknown>> = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      callback();
    },
  });
  const logger = options.captureLogs === true ? { level: 'info', stream: logStream } : false;
  const gatehouse = await createGatehouse(finalConfig, { clock, logger });
  if (options.listen === true) await gatehouse.app.listen({ port: finalConfig.port, host: '127.0.0.1' });

  const { db } = gatehouse.database;
  let userCount = 0;
  let clientCount = 0;
  let resourceCount = 0;
  return {
    ...gatehouse,
    testDatabase,
    clock,
    config: gatehouse.context.config,
    baseUrl,
    logLines,
    async createUser(input = {}) {
      userCount += 1;
      const user: TestUser = {
        id: generateId(),
        username: input.username ?? `user${userCount}`,
        password: input.password ?? `password-${userCount}-${generateSecret(8)}`,
        name: input.name === undefined ? `Test User ${userCount}` : input.name,
        email: input.email === undefined ? `user${userCount}@example.com` : input.email,
      };
      await insertUser(db, {
        id: user.id,
        username: user.username,
        passwordHash: await hashPassword(user.password),
        name: user.name,
        email: user.email,
        now: clock.now(),
      });
      return user;
    },
    async createClient(input = {}) {
      clientCount += 1;
      const isPublic = input.public ?? false;
      const clientId = generateId();
      const secret = isPublic ? undefined : generateSecret();
      const redirectUris = input.redirectUris ?? [`https://client${clientCount}.example.com/callback`];
      await insertClient(db, {
        id: clientId,
        name: input.name ?? `Test Client ${clientCount}`,
        secretHash: secret === undefined ? null : hashSecret(secret),
        redirectUris,
        allowedScopes: input.scopes ?? ['openid', 'profile', 'email', 'offline_access', 'api:read'],
        grantTypes:
          input.grantTypes ??
          (isPublic ? ['authorization_code', 'refresh_token'] : ['authorization_code', 'refresh_token', 'client_credentials']),
        tokenEndpointAuthMethod: isPublic ? 'none' : (input.tokenEndpointAuthMethod ?? 'client_secret_basic'),
        requirePkce: true,
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
        idTokenSignedResponseAlg: input.idTokenSignedResponseAlg ?? 'ES256',
        accessTokenFormat: input.accessTokenFormat ?? 'opaque',
        allowedResources: input.resources ?? [],
        now: clock.now(),
      });
      return { clientId, secret, redirectUri: redirectUris[0] ?? '' };
    },
    async createResourceServer(input = {}) {
      resourceCount += 1;
      const id = `${RESOURCE_SERVER_ID_PREFIX}${generateId()}`;
      const secret = generateSecret();
      const audience = input.audience ?? `https://api${resourceCount}.example.com`;
      await insertResourceServer(db, {
        id,
        name: input.name ?? `Test API ${resourceCount}`,
        secretHash: hashSecret(secret),
        audience,
        allowedScopes: input.scopes ?? ['api:read'],
        accessTokenFormat: input.accessTokenFormat,
        now: clock.now(),
      });
      return { id, secret, audience };
    },
    async stop() {
      await gatehouse.close();
      await testDatabase.drop();
    },
  };
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
