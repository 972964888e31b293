import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { loadConfiguration } from '../../src/config.js';
import { generateId } from '../../src/core/secrets.js';
import { hashPassword } from '../../src/passwords.js';
import { createGatehouse, type Gatehouse } from '../../src/server.js';
import { insertUser } from '../../src/storage/users.js';
import { BrowserSession, createPkce, formValue, locationOf } from '../support/browser-session.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { GATEHOUSE_BIN } from '../support/processes.js';
import { basicAuthorization } from '../support/token-requests.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const AUDIENCE = 'https://photos.example.com/api';
const PASSWORD = 'correct horse battery staple';

describe('token lifecycle CLI', () => {
  let database: TestDatabase;
  let gatehouse: Gatehouse;
  let resourceServer: { id: string; secret: string };
  let client: { client_id: string; client_secret: string };

  function runCli(args: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], {
        env: { ...process.env, GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  function post(url: string, id: string, secret: string, form: Record<string, string>) {
    return gatehouse.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthorization(id, secret) },
      payload: new URLSearchParams(form).toString(),
    });
  }

  async function isActive(token: string): Promise<boolean> {
    const response = await post('/introspect', client.client_id, client.client_secret, { token });
    return response.json().active === true;
  }

  /** Logs alice in and authorizes the client, then returns the access token of the code exchange. */
  async function userAccessToken(): Promise<string> {
    const browser = new BrowserSession(gatehouse.app);
    const pkce = createPkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: 'https://photos.example.com/callback',
      scope: 'profile',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
    let location = locationOf(await browser.get(`/authorize?${query}`));
    const loginPage = await browser.get(location);
    location = locationOf(
      await browser.postForm('/login', {
        csrf_token: formValue(loginPage.body, 'csrf_token'),
        request: new URL(location, 'http://localhost').searchParams.get('request') ?? '',
        username: 'alice',
        password: PASSWORD,
      }),
    );
    if (location.startsWith('/consent')) {
      const consent = await browser.get(location);
      location = locationOf(
        await browser.postForm('/consent', {
          csrf_token: formValue(consent.body, 'csrf_token'),
          request: formValue(consent.body, 'request'),
          decision: 'allow',
        }),
      );
    }
    const code = new URL(location).searchParams.get('code') ?? '';
    const token = await post('/token', client.client_id, client.client_secret, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://photos.example.com/callback',
      code_verifier: pkce.verifier,
    });
    assert.equal(token.statusCode, 200, token.body);
    return token.json().access_token;
  }

  before(async () => {
    database = await createTestDatabase();
    const migrate = await runCli(['migrate']);
    assert.equal(migrate.code, 0, migrate.stderr);
    gatehouse = await createGatehouse(
      loadConfiguration({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_DATABASE_POOL_SIZE: '2', GATEHOUSE_SWEEP_INTERVAL: '0' }),
      { logger: false },
    );
    await insertUser(gatehouse.database.db, {
      id: generateId(),
      username: 'alice',
      passwordHash: await hashPassword(PASSWORD),
      name: null,
      email: null,
      now: Date.now(),
    });
  });
  after(async () => {
    await gatehouse?.close();
    await database.drop();
  });

  it('creates a resource server', async () => {
    const result = await runCli(['resource', 'create', '--name', 'Photos API', '--audience', AUDIENCE, '--scope', 'api:read', '--json']);
    assert.equal(result.code, 0, result.stderr);
    resourceServer = JSON.parse(result.stdout);
    assert.match(resourceServer.id, /^rs_/, 'the id starts with rs_');
    assert.ok(resourceServer.secret.length >= 43, 'the secret carries at least 256 bits');

    const duplicate = await runCli(['resource', 'create', '--name', 'Again', '--audience', AUDIENCE]);
    assert.equal(duplicate.code, 2, 'a duplicate audience is a user error');
    assert.match(duplicate.stderr, /already exists/, 'the message names the problem');

    const list = JSON.parse((await runCli(['resource', 'list', '--json'])).stdout) as Array<{ id: string; scope: string }>;
    assert.deepEqual(list.map((row) => [row.id, row.scope]), [[resourceServer.id, 'api:read']], 'one resource server listed');
  });

  it('creates a JWT client for the resource', async () => {
    const unknown = await runCli(['client', 'create', '--name', 'X', '--redirect-uri', 'https://x.example.com/cb', '--resource', 'https://nope.example.com']);
    assert.equal(unknown.code, 2, 'an unregistered resource is a user error');
    assert.match(unknown.stderr, /no resource server with audience/, 'the message names the problem');

    const result = await runCli([
      'client', 'create', '--name', 'Photo Printer', '--redirect-uri', 'https://photos.example.com/callback',
      '--scope', 'profile api:read', '--access-token-format', 'jwt', '--resource', AUDIENCE,
      '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--grant-type', 'client_credentials', '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    client = JSON.parse(result.stdout);

    const token = await post('/token', client.client_id, client.client_secret, { grant_type: 'client_credentials', resource: AUDIENCE });
    assert.equal(token.statusCode, 200, token.body);
    assert.equal(token.json().access_token.split('.').length, 3, 'a JWT access token');
    const introspection = await post('/introspect', resourceServer.id, resourceServer.secret, { token: token.json().access_token });
    assert.equal(introspection.json().active, true, 'the resource server credentials work at introspection');
  });

  it('lists and revokes a grant', async () => {
    const accessToken = await userAccessToken();
    const list = await runCli(['grant', 'list', '--user', 'alice', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const grants = JSON.parse(list.stdout) as Array<{ client_id: string; scope: string; last_used_at: string | null }>;
    assert.deepEqual(grants.map((grant) => grant.client_id), [client.client_id], 'one grant for the client');
    assert.equal(grants[0]?.scope, 'profile', 'the granted scope');
    assert.notEqual(grants[0]?.last_used_at, null, 'the last use is recorded');

    const revoked = await runCli(['grant', 'revoke', '--user', 'alice', '--client-id', client.client_id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await isActive(accessToken), false, 'the token is revoked');
    assert.deepEqual(JSON.parse((await runCli(['grant', 'list', '--user', 'alice', '--json'])).stdout), [], 'no grant is left');
  });

  it('shows the audit log', async () => {
    const result = await runCli(['audit', 'tail', '--limit', '3', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const events = JSON.parse(result.stdout) as Array<{ type: string; client_id: string }>;
    assert.equal(events.length, 3, 'three events');
    assert.equal(events.at(-1)?.type, 'token_revoked', 'the newest event is the revocation');
    assert.equal(events.at(-1)?.client_id, client.client_id, 'of the client');

    const invalid = await runCli(['audit', 'tail', '--limit', 'many']);
    assert.equal(invalid.code, 2, 'a bad limit is a user error');
  });

  it('disables a client and revokes its tokens', async () => {
    const accessToken = await userAccessToken();
    assert.equal(await isActive(accessToken), true, 'active before');
    const result = await runCli(['client', 'disable', '--client-id', client.client_id]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /token families revoked/, 'the revocation is reported');
    assert.equal((await runCli(['client', 'enable', '--client-id', client.client_id])).code, 0, 'enabled again');
    assert.equal(await isActive(accessToken), false, 'the token stays revoked after enabling');
  });

  it('deletes a client', async () => {
    const result = await runCli(['client', 'delete', '--client-id', client.client_id]);
    assert.equal(result.code, 0, result.stderr);
    const clients = JSON.parse((await runCli(['client', 'list', '--json'])).stdout) as Array<{ client_id: string }>;
    assert.equal(clients.some((row) => row.client_id === client.client_id), false, 'the client is gone');
    const again = await runCli(['client', 'delete', '--client-id', client.client_id]);
    assert.equal(again.code, 2, 'deleting a missing client is a user error');
  });
});
