import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import {
  startTestGatehouse,
  type TestClient,
  type TestGatehouse,
  type TestResourceServer,
  type TestUser,
} from '../support/gatehouse.js';
import { clientCredentials, introspect, postAuthenticatedForm, revoke } from '../support/lifecycle.js';
import { countRows } from '../support/rows.js';

describe('token introspection', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let api: TestResourceServer;
  let otherApi: TestResourceServer;
  let user: TestUser;
  let browser: BrowserSession;

  async function userTokens(target: TestClient, parameters: Record<string, string> = {}) {
    const authorization = await authorize(browser, target, user, { scope: 'profile api:read', ...parameters });
    const response = await exchangeCode(gatehouse, target, authorization);
    assert.equal(response.statusCode, 200, response.body);
    return { access: response.json().access_token as string, refresh: response.json().refresh_token as string };
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    api = await gatehouse.createResourceServer({ name: 'Photos API', audience: 'https://photos.example.com/api', scopes: ['api:read'] });
    otherApi = await gatehouse.createResourceServer({ name: 'Mail API', audience: 'https://mail.example.com/api' });
    client = await gatehouse.createClient({ name: 'Introspecting App', resources: [api.audience, otherApi.audience] });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    publicClient = await gatehouse.createClient({ name: 'Public App', public: true, redirectUris: ['http://127.0.0.1/callback'] });
    user = await gatehouse.createUser({ username: 'ingrid' });
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('describes an active access token to its client', async () => {
    const tokens = await userTokens(client);
    const now = Math.floor(gatehouse.clock.now() / 1000);
    const body = await introspect(gatehouse, clientCredentials(client), tokens.access);
    assert.equal(body.active, true, 'active');
    assert.equal(body.scope, 'profile api:read', 'the scope');
    assert.equal(body.client_id, client.clientId, 'the client_id');
    assert.equal(body.username, 'ingrid', 'the username');
    assert.equal(body.token_type, 'Bearer', 'the token type');
    assert.equal(body.sub, user.id, 'the subject is the user id');
    assert.equal(body.iss, gatehouse.config.issuer, 'the issuer');
    assert.equal(body.aud, gatehouse.config.issuer, 'a token without a resource is meant for the issuer');
    assert.equal(body.iat, now, 'iat is the issue time');
    assert.equal(body.nbf, now, 'nbf is the issue time');
    assert.equal(body.exp, now + gatehouse.config.accessTokenSeconds, 'exp is the expiry');
    assert.equal(typeof body.jti, 'string', 'a jti');
  });

  it('describes a refresh token to its client', async () => {
    const tokens = await userTokens(client);
    const body = await introspect(gatehouse, clientCredentials(client), tokens.refresh, 'refresh_token');
    assert.equal(body.active, true, 'active');
    assert.equal(body.client_id, client.clientId, 'the client_id');
    assert.equal(body.token_type, undefined, 'a refresh token has no token_type');
  });

  it("hides another client's token", async () => {
    const tokens = await userTokens(otherClient, { scope: 'profile' });
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), tokens.access), { active: false }, 'access token');
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), tokens.refresh), { active: false }, 'refresh token');
    assert.equal((await introspect(gatehouse, clientCredentials(otherClient), tokens.access)).active, true, 'its owner sees it');
  });

  it('shows a resource server only its audience', async () => {
    const forApi = await userTokens(client, { resource: api.audience });
    const forOther = await userTokens(client, { resource: otherApi.audience });
    const unrestricted = await userTokens(client);
    const apiCaller = { id: api.id, secret: api.secret };

    const body = await introspect(gatehouse, apiCaller, forApi.access);
    assert.equal(body.active, true, 'its own token is active');
    assert.equal(body.aud, api.audience, 'aud is its audience');
    assert.equal(body.scope, 'api:read', 'only the scopes the resource allows');
    assert.deepEqual(await introspect(gatehouse, apiCaller, forOther.access), { active: false }, 'another audience');
    assert.deepEqual(await introspect(gatehouse, apiCaller, unrestricted.access), { active: false }, 'no audience');
    assert.deepEqual(await introspect(gatehouse, apiCaller, forApi.refresh), { active: false }, 'a refresh token');
  });

  it('reports unknown tokens inactive', async () => {
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), 'A'.repeat(43)), { active: false }, 'unknown');
  });

  it('reports revoked tokens inactive', async () => {
    const tokens = await userTokens(client);
    assert.equal((await revoke(gatehouse, clientCredentials(client), { token: tokens.access })).statusCode, 200, 'revoked');
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), tokens.access), { active: false }, 'access token');
    assert.equal((await introspect(gatehouse, clientCredentials(client), tokens.refresh)).active, true, 'the refresh token lives');
  });

  it('reports a revoked family inactive', async () => {
    const tokens = await userTokens(client);
    const rotated = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), tokens.refresh), { active: false }, 'rotated out');
    const reuse = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(reuse.statusCode, 400, 'the reuse is rejected and revokes the family');
    for (const token of [tokens.access, rotated.json().access_token, rotated.json().refresh_token]) {
      assert.deepEqual(await introspect(gatehouse, clientCredentials(client), token), { active: false }, 'family member');
    }
  });

  it('reports expired tokens inactive', async () => {
    const tokens = await userTokens(client);
    gatehouse.clock.advance(gatehouse.config.accessTokenSeconds + 1);
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), tokens.access), { active: false }, 'expired');
    assert.equal((await introspect(gatehouse, clientCredentials(client), tokens.refresh)).active, true, 'the refresh token lives');
  });

  it('rejects bad credentials with a challenge', async () => {
    const tokens = await userTokens(client);
    const eventsBefore = await countRows(gatehouse, 'audit_events');
    const callers = [
      { name: 'wrong client secret', caller: { id: client.clientId, secret: 'wrong' } },
      { name: 'wrong resource server secret', caller: { id: api.id, secret: 'wrong' } },
      { name: 'unknown resource server', caller: { id: 'rs_unknown', secret: 'wrong' } },
      { name: 'public client', caller: clientCredentials(publicClient) },
    ];
    for (const { name, caller } of callers) {
      const response = await postAuthenticatedForm(gatehouse, '/introspect', caller, { token: tokens.access });
      assert.equal(response.statusCode, 401, `${name}: status 401`);
      assert.equal(response.json().error, 'invalid_client', `${name}: invalid_client`);
      assert.equal(response.json().error_description, 'client authentication failed', `${name}: the generic description`);
      assert.match(String(response.headers['www-authenticate']), /^Basic realm="gatehouse"/, `${name}: a Basic challenge`);
      assert.equal(response.json().active, undefined, `${name}: no introspection result`);
    }
    assert.equal(await countRows(gatehouse, 'audit_events'), eventsBefore + callers.length, 'every failure is audited');
  });

  it('keeps a resource server at other endpoints apart', async () => {
    const caller = { id: otherApi.id, secret: otherApi.secret };
    const failuresBefore = await countRows(gatehouse, 'audit_events');
    for (let attempt = 0; attempt < gatehouse.config.clientAuthMaxFailures + 2; attempt += 1) {
      const revoked = await revoke(gatehouse, caller, { token: 'not-a-token' });
      assert.equal(revoked.statusCode, 400, `revocation by a resource server: ${revoked.body}`);
      assert.equal(revoked.json().error, 'unauthorized_client', 'unauthorized_client at the revocation endpoint');
    }
    const token = await postAuthenticatedForm(gatehouse, '/token', caller, { grant_type: 'client_credentials' });
    assert.equal(token.json().error, 'unauthorized_client', 'unauthorized_client at the token endpoint');
    assert.equal(await countRows(gatehouse, 'audit_events'), failuresBefore, 'no failed authentication was recorded');

    const body = await introspect(gatehouse, caller, 'not-a-token');
    assert.equal(body.active, false, 'the resource server can still introspect');
  });

  it('requires the token parameter', async () => {
    const response = await postAuthenticatedForm(gatehouse, '/introspect', clientCredentials(client), {});
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_request', 'invalid_request');
  });
});
