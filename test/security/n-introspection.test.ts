import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect, revoke } from '../support/lifecycle.js';
import { obtainTokens, postRaw, type TokenSet } from '../support/oauth-checks.js';
import { basicAuthorization } from '../support/token-requests.js';

describe('introspection endpoint', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let user: TestUser;
  let tokens: TokenSet;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Introspecting App', scopes: ['openid', 'profile', 'email'] });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    user = await gatehouse.createUser();
    tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, user, { scope: 'openid profile' });
  });
  after(() => gatehouse.stop());

  // RFC 7662 section 2.1: the caller must authenticate.
  it('rejects callers without credentials', async () => {
    const body = new URLSearchParams({ token: tokens.access_token }).toString();
    const cases: Array<[string, Record<string, string>]> = [
      ['no credentials', {}],
      ['wrong secret', { authorization: basicAuthorization(client.clientId, 'wrong-secret') }],
      ['a user access token', { authorization: `Bearer ${tokens.access_token}` }],
    ];
    for (const [name, headers] of cases) {
      const response = await postRaw(gatehouse, '/introspect', body, headers);
      assert.equal(response.statusCode, 401, `${name}: ${response.body}`);
      assert.match(String(response.headers['www-authenticate']), /^Basic /, `${name}: a challenge`);
      assert.equal(response.json().error, 'invalid_client', name);
      assert.equal(response.json().active, undefined, `${name}: no token data`);
      assert.doesNotMatch(response.body, /scope|sub|exp/, `${name}: no claims`);
    }
  });

  // RFC 7662 section 2.2: an inactive token gets only {"active": false}.
  it('reports inactive tokens bare', async () => {
    const revoked = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, user, { scope: 'openid profile' });
    await revoke(gatehouse, clientCredentials(client), { token: revoked.access_token });
    const cases: Array<[string, string]> = [
      ['revoked', revoked.access_token],
      ['malformed', '%%%not a token%%%'],
      ['never issued', 'x'.repeat(43)],
    ];
    for (const [name, token] of cases) {
      assert.deepEqual(await introspect(gatehouse, clientCredentials(client), token), { active: false }, name);
    }
  });

  it('reports expired tokens bare', async () => {
    const session = new BrowserSession(gatehouse.app);
    const expiring = await obtainTokens(gatehouse, session, client, user, { scope: 'openid profile' });
    gatehouse.clock.advance(3601);
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), expiring.access_token), { active: false });
    gatehouse.clock.advance(-3601);
  });

  it("hides another client's tokens", async () => {
    for (const token of [tokens.access_token, tokens.refresh_token ?? '']) {
      assert.deepEqual(await introspect(gatehouse, clientCredentials(otherClient), token), { active: false });
    }
    const server = await gatehouse.createResourceServer({ audience: 'https://photos.example.com' });
    assert.deepEqual(await introspect(gatehouse, { id: server.id, secret: server.secret }, tokens.access_token), { active: false });
  });

  it('describes an active token', async () => {
    const details = await introspect(gatehouse, clientCredentials(client), tokens.access_token);
    assert.equal(details.active, true);
    assert.equal(details.scope, 'openid profile');
    assert.equal(details.client_id, client.clientId);
    assert.equal(details.sub, user.id);
    assert.equal(details.iss, gatehouse.config.issuer);
    assert.equal(details.token_type, 'Bearer');
    assert.equal(typeof details.exp, 'number');
    assert.equal(typeof details.iat, 'number');
    assert.ok(details.aud !== undefined, 'an audience');
    const text = JSON.stringify(details);
    assert.ok(!text.includes(tokens.access_token), 'no access token value');
    assert.ok(!text.includes(tokens.refresh_token ?? '-'), 'no refresh token value');
    assert.ok(!text.includes(client.secret ?? '-'), 'no client secret');
  });

  it('takes only uncached form POSTs', async () => {
    const auth = { authorization: basicAuthorization(client.clientId, client.secret ?? '') };
    const get = await gatehouse.app.inject({ method: 'GET', url: `/introspect?token=${tokens.access_token}`, headers: auth });
    assert.equal(get.statusCode, 405);

    const json = await gatehouse.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ token: tokens.access_token }),
    });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error, 'invalid_request');

    const repeated = await postRaw(gatehouse, '/introspect', `token=${tokens.access_token}&token=x`, auth);
    assert.equal(repeated.statusCode, 400);
    assert.equal(repeated.json().error, 'invalid_request');

    const ok = await postRaw(gatehouse, '/introspect', `token=${tokens.access_token}`, auth);
    assert.match(String(ok.headers['content-type']), /^application\/json/);
    assert.equal(ok.headers['cache-control'], 'no-store');
  });
});
