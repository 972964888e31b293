import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { getUserinfo } from '../support/token-requests.js';

function assertInvalidToken(response: LightMyRequestResponse, message: string): void {
  assert.equal(response.statusCode, 401, `${message}: status 401`);
  const challenge = String(response.headers['www-authenticate'] ?? '');
  assert.match(challenge, /^Bearer realm="gatehouse"/, `${message}: a Bearer challenge`);
  assert.match(challenge, /error="invalid_token"/, `${message}: error="invalid_token" in the challenge`);
  assert.equal(response.json().error, 'invalid_token', `${message}: invalid_token in the body`);
  assert.equal(response.json().sub, undefined, `${message}: no claims`);
}

describe('userinfo', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  async function accessTokenFor(scope: string, target: TestClient = client): Promise<string> {
    const authorization = await authorize(browser, target, user, { scope });
    const response = await exchangeCode(gatehouse, target, authorization);
    assert.equal(response.statusCode, 200, response.body);
    return response.json().access_token;
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Userinfo App' });
    user = await gatehouse.createUser({ name: 'Ada Lovelace', email: 'ada@example.com' });
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('challenges a request without token', async () => {
    const response = await gatehouse.app.inject({ method: 'GET', url: '/userinfo' });
    assert.equal(response.statusCode, 401, 'status 401');
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="gatehouse"', 'a bare challenge with no error code');
    assert.equal(response.body, '', 'no error information and no claims in the body');
  });

  it('rejects an unknown token', async () => {
    assertInvalidToken(await getUserinfo(gatehouse, 'A'.repeat(43)), 'an unknown token');
  });

  it('rejects a token in the query string', async () => {
    const accessToken = await accessTokenFor('openid profile email');
    const response = await gatehouse.app.inject({
      method: 'GET',
      url: `/userinfo?access_token=${encodeURIComponent(accessToken)}`,
    });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_request', 'invalid_request');
    assert.match(String(response.headers['www-authenticate']), /error="invalid_request"/, 'the challenge names the error');
    assert.equal(response.json().sub, undefined, 'no claims');
  });

  it('accepts a token in a form body', async () => {
    const accessToken = await accessTokenFor('openid profile email');
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ access_token: accessToken }).toString(),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().sub, user.id, 'the subject is the user');
    assert.equal(response.headers['cache-control'], 'no-store', 'the claims are not cached');
  });

  it('rejects a token in header and body', async () => {
    const accessToken = await accessTokenFor('openid profile email');
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${accessToken}` },
      payload: new URLSearchParams({ access_token: accessToken }).toString(),
    });
    assert.equal(response.statusCode, 400, 'two places is invalid_request');
    assert.equal(response.json().error, 'invalid_request', 'invalid_request');
  });

  const claimCases: Array<{ scope: string; present: string[]; absent: string[] }> = [
    { scope: 'profile', present: ['sub', 'preferred_username', 'name', 'updated_at'], absent: ['email', 'email_verified'] },
    { scope: 'email', present: ['sub', 'email', 'email_verified'], absent: ['name', 'preferred_username', 'updated_at'] },
    { scope: 'offline_access', present: ['sub'], absent: ['name', 'preferred_username', 'email'] },
  ];
  for (const { scope, present, absent } of claimCases) {
    it(`releases claims for scope ${scope}`, async () => {
      const claimsClient = await gatehouse.createClient({ name: `Claims ${scope}` });
      const response = await getUserinfo(gatehouse, await accessTokenFor(`openid ${scope}`, claimsClient));
      assert.equal(response.statusCode, 200, response.body);
      const claims = response.json();
      for (const claim of present) assert.ok(claim in claims, `${scope}: ${claim} is released`);
      for (const claim of absent) assert.equal(claims[claim], undefined, `${scope}: ${claim} is not released`);
      assert.equal(claims.sub, user.id, `${scope}: sub is the user id`);
      if (present.includes('email')) assert.equal(claims.email, 'ada@example.com', `${scope}: the email`);
      if (present.includes('name')) assert.equal(claims.name, 'Ada Lovelace', `${scope}: the name`);
    });
  }

  it('answers insufficient_scope to a token without openid', async () => {
    const accessToken = await accessTokenFor('profile email');
    const response = await getUserinfo(gatehouse, accessToken);
    assert.equal(response.statusCode, 403, `status 403: ${response.body}`);
    assert.equal(response.json().error, 'insufficient_scope', 'insufficient_scope in the body');
    assert.equal(response.json().sub, undefined, 'no claims');
    const challenge = String(response.headers['www-authenticate'] ?? '');
    assert.match(challenge, /^Bearer realm="gatehouse"/, 'a Bearer challenge');
    assert.match(challenge, /error="insufficient_scope"/, 'the challenge names the error');
    assert.match(challenge, /scope="openid"/, 'the challenge names the scope the endpoint needs');
  });

  it('rejects a client credentials token', async () => {
    const response = await requestToken(gatehouse, client, { grant_type: 'client_credentials' });
    assert.equal(response.statusCode, 200, response.body);
    assertInvalidToken(await getUserinfo(gatehouse, response.json().access_token), 'a token without a user');
  });

  it('accepts the Bearer scheme in any case', async () => {
    const accessToken = await accessTokenFor('openid profile');
    for (const scheme of ['bearer', 'BEARER']) {
      const response = await gatehouse.app.inject({
        method: 'GET',
        url: '/userinfo',
        headers: { authorization: `${scheme} ${accessToken}` },
      });
      assert.equal(response.statusCode, 200, `scheme ${scheme}: ${response.body}`);
      assert.equal(response.json().sub, user.id, `scheme ${scheme}: the subject is the user`);
    }
  });

  it('rejects a Basic Authorization header', async () => {
    const response = await gatehouse.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    assert.equal(response.statusCode, 400, 'a Basic header is invalid_request');
    assert.equal(response.json().error, 'invalid_request', 'invalid_request');
    assert.match(response.json().error_description, /'Bearer' scheme/, 'the description names the scheme');
  });

  it('rejects a malformed Bearer token', async () => {
    for (const header of ['Bearer abc. def', 'Bearer {"payload":"x"}', 'Bearer']) {
      const response = await gatehouse.app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: header } });
      assert.equal(response.statusCode, 400, `${header}: invalid_request`);
      assert.match(response.json().error_description, /one access token/, `${header}: the description names the token, not the scheme`);
    }
  });

  // Runs last because it moves the shared clock past the access token lifetime.
  it('rejects an expired access token', async () => {
    const accessToken = await accessTokenFor('openid profile');
    assert.equal((await getUserinfo(gatehouse, accessToken)).statusCode, 200, 'the token works before expiry');
    gatehouse.clock.advance(gatehouse.config.accessTokenSeconds + 1);
    assertInvalidToken(await getUserinfo(gatehouse, accessToken), 'an expired token');
  });
});
