import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode, requestToken } from '../support/flows.js';
import {
  startTestGatehouse,
  type TestClient,
  type TestGatehouse,
  type TestResourceServer,
  type TestUser,
} from '../support/gatehouse.js';
import { clientCredentials, introspect } from '../support/lifecycle.js';
import { countRows } from '../support/rows.js';
import { getUserinfo } from '../support/token-requests.js';

describe('resource indicators', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let api: TestResourceServer;
  let unlistedApi: TestResourceServer;
  let user: TestUser;
  let browser: BrowserSession;

  before(async () => {
    gatehouse = await startTestGatehouse();
    api = await gatehouse.createResourceServer({ audience: 'https://photos.example.com/api', scopes: ['api:read', 'api:write'] });
    unlistedApi = await gatehouse.createResourceServer({ audience: 'https://billing.example.com/api' });
    client = await gatehouse.createClient({
      name: 'Resource App',
      scopes: ['profile', 'email', 'offline_access', 'api:read', 'api:write', 'service:sync'],
      resources: [api.audience, 'https://unregistered.example.com/api'],
    });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('restricts the token to the resource', async () => {
    const authorization = await authorize(browser, client, user, { scope: 'profile api:read', resource: api.audience });
    const response = await exchangeCode(gatehouse, client, authorization);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().scope, 'api:read', 'the access token carries only the scopes the resource allows');
    const body = await introspect(gatehouse, { id: api.id, secret: api.secret }, response.json().access_token);
    assert.equal(body.active, true, 'the resource server sees the token');
    assert.equal(body.aud, api.audience, 'the audience is the resource');
    assert.equal((await getUserinfo(gatehouse, response.json().access_token)).statusCode, 401, 'userinfo rejects it');

    const refreshed = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: response.json().refresh_token });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const refreshedBody = await introspect(gatehouse, clientCredentials(client), refreshed.json().access_token);
    assert.equal(refreshedBody.aud, api.audience, 'the refreshed access token keeps the resource');
  });

  it('names the resource at the token endpoint only', async () => {
    const authorization = await authorize(browser, client, user, { scope: 'profile api:read' });
    const response = await requestToken(gatehouse, client, {
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: client.redirectUri,
      code_verifier: authorization.verifier,
      resource: api.audience,
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = await introspect(gatehouse, clientCredentials(client), response.json().access_token);
    assert.equal(body.aud, api.audience, 'the access token is for the named resource');
    assert.equal(body.scope, 'api:read', 'with the scopes that resource allows');
  });

  it('rejects a resource that allows none of the scopes', async () => {
    const authorization = await authorize(browser, client, user, { scope: 'profile service:sync', resource: api.audience });
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const response = await exchangeCode(gatehouse, client, authorization);
    assert.equal(response.statusCode, 400, `no empty token: ${response.body}`);
    assert.equal(response.json().error, 'invalid_scope', 'invalid_scope');
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no access token was stored');
  });

  it('rejects another resource than authorized', async () => {
    const authorization = await authorize(browser, client, user, { scope: 'api:read', resource: api.audience });
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const response = await requestToken(gatehouse, client, {
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: client.redirectUri,
      code_verifier: authorization.verifier,
      resource: unlistedApi.audience,
    });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_target', 'invalid_target');
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no access token stored');
  });

  const invalidResources = [
    { name: 'relative URI', resource: '/api' },
    { name: 'fragment', resource: `${'https://photos.example.com/api'}#part` },
    { name: 'unlisted resource', resource: 'https://billing.example.com/api' },
    { name: 'unregistered resource', resource: 'https://unregistered.example.com/api' },
  ];
  for (const { name, resource } of invalidResources) {
    it(`redirects invalid_target for ${name}`, async () => {
      const request = authorizationUrl(client, { scope: 'api:read', resource });
      const response = await browser.get(request.url);
      const callback = new URL(locationOf(response));
      assert.equal(callback.origin + callback.pathname, client.redirectUri, `${name}: back at the client`);
      assert.equal(callback.searchParams.get('error'), 'invalid_target', `${name}: invalid_target`);
      assert.equal(callback.searchParams.get('code'), null, `${name}: no code`);
    });
  }

  it('rejects two resources at the authorization endpoint', async () => {
    const request = authorizationUrl(client, { scope: 'api:read', resource: api.audience });
    const response = await browser.get(`${request.url}&resource=${encodeURIComponent(unlistedApi.audience)}`);
    const callback = new URL(locationOf(response));
    assert.equal(callback.searchParams.get('error'), 'invalid_target', 'invalid_target');
    assert.equal(callback.searchParams.get('error_description'), "only one 'resource' parameter is supported", 'the description');
  });

  it('rejects an unregistered resource at the token endpoint', async () => {
    const response = await requestToken(gatehouse, client, {
      grant_type: 'client_credentials',
      resource: 'https://unregistered.example.com/api',
    });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_target', 'invalid_target');
  });

  it('rejects two resources at the token endpoint', async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: api.audience });
    body.append('resource', unlistedApi.audience);
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      },
      payload: body.toString(),
    });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_target', 'invalid_target');
  });

  it('limits client credentials to the resource', async () => {
    const defaulted = await requestToken(gatehouse, client, { grant_type: 'client_credentials', resource: api.audience });
    assert.equal(defaulted.statusCode, 200, defaulted.body);
    assert.equal(defaulted.json().scope, 'api:read api:write', 'the default is the service scopes the resource allows');
    assert.equal(defaulted.json().refresh_token, undefined, 'no refresh token');
    const body = await introspect(gatehouse, { id: api.id, secret: api.secret }, defaulted.json().access_token);
    assert.equal(body.sub, client.clientId, 'the subject is the client');
    assert.equal(body.aud, api.audience, 'the audience is the resource');

    const rejected = await requestToken(gatehouse, client, {
      grant_type: 'client_credentials',
      resource: api.audience,
      scope: 'service:sync',
    });
    assert.equal(rejected.statusCode, 400, 'a scope the resource does not allow is rejected');
    assert.equal(rejected.json().error, 'invalid_scope', 'invalid_scope');
  });
});
