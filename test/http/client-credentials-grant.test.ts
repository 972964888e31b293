import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestToken } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse } from '../support/gatehouse.js';
import { countRows } from '../support/rows.js';

describe('client credentials grant', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Service App', scopes: ['profile', 'email', 'api:read', 'api:write'] });
  });
  after(() => gatehouse.stop());

  it('issues an access token only', async () => {
    const refreshBefore = await countRows(gatehouse, 'refresh_tokens');
    const response = await requestToken(gatehouse, client, { grant_type: 'client_credentials' });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.token_type, 'Bearer', 'a bearer token');
    assert.equal(typeof body.access_token, 'string', 'an access token');
    assert.equal(body.refresh_token, undefined, 'no refresh token');
    assert.equal(body.scope, 'api:read api:write', 'the default scope is every service scope');
    assert.equal(response.headers['cache-control'], 'no-store', 'the response is not cached');
    assert.equal(await countRows(gatehouse, 'refresh_tokens'), refreshBefore, 'no refresh token was stored');
  });

  it('grants a requested service scope', async () => {
    const response = await requestToken(gatehouse, client, { grant_type: 'client_credentials', scope: 'api:read' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().scope, 'api:read', 'the requested scope');
  });

  const rejectedScopes = ['profile', 'email', 'openid', 'offline_access', 'api:read profile', 'api:admin'];
  for (const scope of rejectedScopes) {
    it(`rejects scope '${scope}'`, async () => {
      const tokensBefore = await countRows(gatehouse, 'access_tokens');
      const response = await requestToken(gatehouse, client, { grant_type: 'client_credentials', scope });
      assert.equal(response.statusCode, 400, `${scope}: status 400`);
      assert.equal(response.json().error, 'invalid_scope', `${scope}: invalid_scope`);
      assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, `${scope}: no access token was stored`);
    });
  }

  it('rejects public clients', async () => {
    const defaultPublic = await gatehouse.createClient({ name: 'Public Default', public: true });
    const registeredPublic = await gatehouse.createClient({
      name: 'Public With Grant',
      public: true,
      grantTypes: ['authorization_code', 'client_credentials'],
    });
    for (const publicClient of [defaultPublic, registeredPublic]) {
      const tokensBefore = await countRows(gatehouse, 'access_tokens');
      const response = await requestToken(gatehouse, publicClient, { grant_type: 'client_credentials' });
      assert.equal(response.statusCode, 400, 'a public client is rejected');
      assert.equal(response.json().error, 'unauthorized_client', 'the error is unauthorized_client');
      assert.equal(response.json().access_token, undefined, 'no access token');
      assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no access token was stored');
    }
  });
});
