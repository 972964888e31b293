import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect, postAuthenticatedForm, revoke } from '../support/lifecycle.js';
import { accessTokenWorks } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { basicAuthorization } from '../support/token-requests.js';

function assertRevocationOk(response: LightMyRequestResponse, message: string): void {
  assert.equal(response.statusCode, 200, `${message}: status 200 (${response.body})`);
  assert.equal(response.body, '', `${message}: an empty body`);
  assert.equal(response.headers['cache-control'], 'no-store', `${message}: Cache-Control no-store`);
}

describe('token revocation', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  async function tokensFor(target: TestClient): Promise<{ access: string; refresh: string }> {
    const response = await exchangeCode(gatehouse, target, await authorize(browser, target, user, { scope: 'profile' }));
    assert.equal(response.statusCode, 200, response.body);
    return { access: response.json().access_token, refresh: response.json().refresh_token };
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Revoking App' });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    publicClient = await gatehouse.createClient({ name: 'Public App', public: true, redirectUris: ['http://127.0.0.1/callback'] });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('revokes an access token', async () => {
    const tokens = await tokensFor(client);
    assertRevocationOk(await revoke(gatehouse, clientCredentials(client), { token: tokens.access }), 'revocation');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), false, 'the access token is rejected at userinfo');
    const refreshed = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(refreshed.statusCode, 200, 'the refresh token still works after revoking only the access token');
  });

  it('revokes the family with a refresh token', async () => {
    const tokens = await tokensFor(client);
    const response = await revoke(gatehouse, clientCredentials(client), { token: tokens.refresh, token_type_hint: 'refresh_token' });
    assertRevocationOk(response, 'revocation');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), false, 'the access token of the grant is rejected');
    const refreshed = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(refreshed.statusCode, 400, 'the refresh token is rejected');
    assert.equal(refreshed.json().error, 'invalid_grant', 'the refresh is invalid_grant');
  });

  it('ignores a wrong token_type_hint', async () => {
    const tokens = await tokensFor(client);
    const response = await revoke(gatehouse, clientCredentials(client), { token: tokens.refresh, token_type_hint: 'access_token' });
    assertRevocationOk(response, 'revocation with the access_token hint');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), false, 'the family is revoked anyway');
    const unknownHint = await tokensFor(client);
    assertRevocationOk(
      await revoke(gatehouse, clientCredentials(client), { token: unknownHint.access, token_type_hint: 'id_token' }),
      'revocation with an unknown hint',
    );
    assert.equal(await accessTokenWorks(gatehouse, unknownHint.access), false, 'an unknown hint is ignored');
  });

  it('answers 200 for an unknown token', async () => {
    const eventsBefore = await countRows(gatehouse, 'audit_events');
    assertRevocationOk(await revoke(gatehouse, clientCredentials(client), { token: 'A'.repeat(43) }), 'an unknown token');
    assert.equal(await countRows(gatehouse, 'audit_events'), eventsBefore, 'nothing was revoked, so nothing was recorded');
  });

  it("keeps another client's token valid", async () => {
    const tokens = await tokensFor(otherClient);
    assertRevocationOk(await revoke(gatehouse, clientCredentials(client), { token: tokens.access }), 'access token of another client');
    assertRevocationOk(await revoke(gatehouse, clientCredentials(client), { token: tokens.refresh }), 'refresh token of another client');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), true, 'the access token still works');
    const active = await introspect(gatehouse, clientCredentials(otherClient), tokens.refresh);
    assert.equal(active.active, true, 'the refresh token is still active');
  });

  it('lets a public client revoke with client_id', async () => {
    const tokens = await tokensFor(publicClient);
    assertRevocationOk(await revoke(gatehouse, clientCredentials(publicClient), { token: tokens.refresh }), 'public client');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), false, 'the access token is rejected');
  });

  it('requires the token parameter', async () => {
    const response = await revoke(gatehouse, clientCredentials(client), {});
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_request', 'invalid_request');
    assert.equal(response.json().error_description, "missing required parameter 'token'", 'the description names the parameter');
  });

  it('rejects a wrong client secret', async () => {
    const tokens = await tokensFor(client);
    const response = await postAuthenticatedForm(gatehouse, '/revoke', { id: client.clientId, secret: 'wrong-secret' }, {
      token: tokens.access,
    });
    assert.equal(response.statusCode, 401, 'status 401');
    assert.equal(response.json().error, 'invalid_client', 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic /, 'a Basic challenge');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), true, 'the token was not revoked');
  });

  it('rejects a JSON body', async () => {
    const tokens = await tokensFor(client);
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { 'content-type': 'application/json', authorization: basicAuthorization(client.clientId, client.secret ?? '') },
      payload: JSON.stringify({ token: tokens.access }),
    });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_request', 'invalid_request');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access), true, 'the token was not revoked');
  });

  it('revokes a client credentials token', async () => {
    const issued = await requestToken(gatehouse, client, { grant_type: 'client_credentials' });
    assert.equal(issued.statusCode, 200, issued.body);
    const accessToken = issued.json().access_token as string;
    assert.equal((await introspect(gatehouse, clientCredentials(client), accessToken)).active, true, 'active before');
    assertRevocationOk(await revoke(gatehouse, clientCredentials(client), { token: accessToken }), 'revocation');
    assert.equal((await introspect(gatehouse, clientCredentials(client), accessToken)).active, false, 'inactive after');
  });
});
