import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import {
  startTestGatehouse,
  type TestClient,
  type TestGatehouse,
  type TestResourceServer,
  type TestUser,
} from '../support/gatehouse.js';
import { clientCredentials, introspect, revoke } from '../support/lifecycle.js';
import { accessTokenWorks } from '../support/oauth-checks.js';

describe('JWT access tokens', () => {
  let gatehouse: TestGatehouse;
  let jwtClient: TestClient;
  let opaqueClient: TestClient;
  let jwtApi: TestResourceServer;
  let user: TestUser;
  let browser: BrowserSession;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  async function verify(token: string, audience: string) {
    return jwtVerify(token, jwks, { issuer: gatehouse.config.issuer, audience, typ: 'at+jwt', currentDate: new Date(gatehouse.clock.now()) });
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    jwtApi = await gatehouse.createResourceServer({ audience: 'https://jwt-api.example.com', accessTokenFormat: 'jwt' });
    jwtClient = await gatehouse.createClient({ name: 'JWT App', accessTokenFormat: 'jwt' });
    opaqueClient = await gatehouse.createClient({ name: 'Opaque App', resources: [jwtApi.audience] });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
    const response = await gatehouse.app.inject({ method: 'GET', url: '/jwks' });
    jwks = createLocalJWKSet(response.json() as JSONWebKeySet);
  });
  after(() => gatehouse.stop());

  it('issues an at+jwt with the RFC 9068 claims', async () => {
    const response = await exchangeCode(gatehouse, jwtClient, await authorize(browser, jwtClient, user, { scope: 'profile email' }));
    assert.equal(response.statusCode, 200, response.body);
    const token = response.json().access_token as string;
    const header = decodeProtectedHeader(token);
    assert.equal(header.typ, 'at+jwt', 'typ is at+jwt');
    assert.equal(header.alg, 'ES256', 'signed with ES256');
    const { payload } = await verify(token, gatehouse.config.issuer);
    const now = Math.floor(gatehouse.clock.now() / 1000);
    assert.equal(payload.sub, user.id, 'sub is the user');
    assert.equal(payload.client_id, jwtClient.clientId, 'client_id');
    assert.equal(payload.scope, 'profile email', 'scope');
    assert.equal(payload.iat, now, 'iat');
    assert.equal(payload.exp, now + gatehouse.config.accessTokenSeconds, 'exp');
    assert.equal(typeof payload.jti, 'string', 'jti');

    const body = await introspect(gatehouse, clientCredentials(jwtClient), token);
    assert.equal(body.active, true, 'introspection finds the JWT');
    assert.equal(body.jti, payload.jti, 'introspection reports the same jti');
    assert.equal(await accessTokenWorks(gatehouse, token), true, 'userinfo accepts the JWT');
  });

  it('rejects a revoked JWT everywhere', async () => {
    const response = await exchangeCode(gatehouse, jwtClient, await authorize(browser, jwtClient, user, { scope: 'profile' }));
    const token = response.json().access_token as string;
    assert.equal((await revoke(gatehouse, clientCredentials(jwtClient), { token })).statusCode, 200, 'revoked');
    assert.deepEqual(await introspect(gatehouse, clientCredentials(jwtClient), token), { active: false }, 'inactive');
    assert.equal(await accessTokenWorks(gatehouse, token), false, 'userinfo rejects it');
  });

  it('uses the sub of the client for client credentials', async () => {
    const response = await requestToken(gatehouse, jwtClient, { grant_type: 'client_credentials' });
    assert.equal(response.statusCode, 200, response.body);
    const { payload } = await verify(response.json().access_token, gatehouse.config.issuer);
    assert.equal(payload.sub, jwtClient.clientId, 'sub is the client_id');
    assert.equal(payload.client_id, jwtClient.clientId, 'client_id');
  });

  it('follows the resource server setting', async () => {
    const forApi = await requestToken(gatehouse, opaqueClient, { grant_type: 'client_credentials', resource: jwtApi.audience });
    assert.equal(forApi.statusCode, 200, forApi.body);
    const { payload } = await verify(forApi.json().access_token, jwtApi.audience);
    assert.equal(payload.aud, jwtApi.audience, 'aud is the resource');

    const plain = await requestToken(gatehouse, opaqueClient, { grant_type: 'client_credentials' });
    assert.equal(plain.statusCode, 200, plain.body);
    assert.doesNotMatch(plain.json().access_token, /\./, 'without the resource the token is opaque');
  });
});
