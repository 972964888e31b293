import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateId, generateSecret, hashSecret } from '../../src/core/secrets.js';
import { hashPassword } from '../../src/passwords.js';
import { insertClient } from '../../src/storage/clients.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { insertUser } from '../../src/storage/users.js';
import { createPkce } from '../support/browser-session.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { findFreePort } from '../support/gatehouse.js';
import { formInput, HttpBrowser, locationHeader } from '../support/http-browser.js';
import { startServerProcess, type ServerProcess } from '../support/processes.js';

/**
 * Two Gatehouse processes on one database behave as one server: each step of a flow may land on
 * either process, as behind a load balancer.
 */
describe('two processes on one database', () => {
  const issuer = 'http://localhost:9000';
  const redirectUri = 'https://app.example.com/callback';
  const clientId = generateId();
  const clientSecret = generateSecret();
  const password = 'two processes, one database';
  let testDatabase: TestDatabase;
  const running: ServerProcess[] = [];
  let first: ServerProcess;
  let second: ServerProcess;
  let firstUrl: string;
  let secondUrl: string;

  before(async () => {
    testDatabase = await createTestDatabase();
    const database = openDatabase(testDatabase.url);
    await migrateToLatest(database.db, database.kind);
    await insertUser(database.db, {
      id: generateId(),
      username: 'carol',
      passwordHash: await hashPassword(password),
      name: 'Carol',
      email: null,
      now: Date.now(),
    });
    await insertClient(database.db, {
      id: clientId,
      name: 'Cluster App',
      secretHash: hashSecret(clientSecret),
      redirectUris: [redirectUri],
      allowedScopes: ['openid', 'profile'],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      requirePkce: true,
      now: Date.now(),
    });
    await database.close();

    const ports = [await findFreePort(), await findFreePort()];
    const environment = (port: number) => ({
      GATEHOUSE_DATABASE_URL: testDatabase.url,
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_HOST: '127.0.0.1',
    });
    const [firstPort = 0, secondPort = 0] = ports;
    // Both start at once, so their migrations race as they would in a rolling deploy.
    const started = await Promise.allSettled([
      startServerProcess(environment(firstPort)),
      startServerProcess(environment(secondPort)),
    ]);
    for (const result of started) if (result.status === 'fulfilled') running.push(result.value);
    const failure = started.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    [first, second] = running as [ServerProcess, ServerProcess];
    firstUrl = `http://127.0.0.1:${firstPort}`;
    secondUrl = `http://127.0.0.1:${secondPort}`;
  });

  after(async () => {
    await Promise.all(running.map((server) => server.stop()));
    await testDatabase?.drop();
  });

  it('completes a flow across both processes', async () => {
    const browser = new HttpBrowser();
    const pkce = createPkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile',
      state: 'cluster-state',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });

    const authorization = await browser.get(`${firstUrl}/authorize?${query}`);
    assert.equal(authorization.status, 303, 'the first process sends the browser to the login page');
    const loginPath = locationHeader(authorization);
    const loginPage = await (await browser.get(`${firstUrl}${loginPath}`)).text();
    const login = await browser.postForm(`${firstUrl}/login`, {
      csrf_token: formInput(loginPage, 'csrf_token'),
      request: formInput(loginPage, 'request'),
      username: 'carol',
      password,
    });
    assert.equal(login.status, 303, 'the login on the first process succeeds');
    const consentPath = locationHeader(login);
    assert.match(consentPath, /^\/consent\?request=/);

    const consentPage = await browser.get(`${secondUrl}${consentPath}`);
    assert.equal(consentPage.status, 200, 'the second process knows the session and the pending request');
    const consentHtml = await consentPage.text();
    const consent = await browser.postForm(`${secondUrl}/consent`, {
      csrf_token: formInput(consentHtml, 'csrf_token'),
      request: formInput(consentHtml, 'request'),
      decision: 'allow',
    });
    assert.equal(consent.status, 303, 'the consent on the second process succeeds');
    const callback = new URL(locationHeader(consent));
    assert.equal(callback.searchParams.get('iss'), issuer);
    const code = callback.searchParams.get('code');
    assert.ok(code, 'the callback carries a code');

    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const tokenResponse = await fetch(`${secondUrl}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: pkce.verifier,
      }),
    });
    assert.equal(tokenResponse.status, 200, 'the second process redeems the code');
    const tokens = (await tokenResponse.json()) as { access_token: string; refresh_token: string };

    const refreshResponse = await fetch(`${firstUrl}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    });
    assert.equal(refreshResponse.status, 200, 'the first process accepts the refresh token issued by the second');
    const refreshed = (await refreshResponse.json()) as { access_token: string };

    const userinfo = await fetch(`${secondUrl}/userinfo`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    assert.equal(userinfo.status, 200, 'the second process accepts the access token issued by the first');
    assert.equal(((await userinfo.json()) as { preferred_username: string }).preferred_username, 'carol');

    const again = await browser.get(`${secondUrl}/authorize?${query}`);
    assert.equal(again.status, 302, 'the remembered authorization skips both pages on the other process');
    assert.ok(new URL(locationHeader(again)).searchParams.has('code'));
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const port = await findFreePort();
    const extra = await startServerProcess({
      GATEHOUSE_DATABASE_URL: testDatabase.url,
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_PORT: String(port),
    });
    const code = await extra.stop('SIGTERM');
    assert.equal(code, 0, `exit code after SIGTERM; output:\n${extra.output()}`);
    assert.match(extra.output(), /finishing requests in flight/);
  });
});
