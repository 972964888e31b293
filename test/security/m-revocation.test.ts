import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect, revoke } from '../support/lifecycle.js';
import { accessTokenWorks, assertTokenError, obtainTokens, postRaw, refresh } from '../support/oauth-checks.js';
import { basicAuthorization } from '../support/token-requests.js';

describe('revocation endpoint', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  const isActive = async (token: string) => (await introspect(gatehouse, clientCredentials(client), token)).active === true;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Revoking App' });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    publicClient = await gatehouse.createClient({ name: 'Public App', public: true });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  // RFC 7009 section 2.1: a refresh token's revocation takes the grant's access tokens along.
  it('revokes for public and confidential clients', async () => {
    const publicTokens = await obtainTokens(gatehouse, browser, publicClient, user);
    const publicRevocation = await revoke(gatehouse, clientCredentials(publicClient), { token: publicTokens.refresh_token ?? '' });
    assert.equal(publicRevocation.statusCode, 200, publicRevocation.body);
    assertTokenError(await refresh(gatehouse, publicClient, publicTokens.refresh_token ?? ''), 400, 'invalid_grant', 'revoked refresh token');
    assert.equal(await accessTokenWorks(gatehouse, publicTokens.access_token), false, 'the grant access token is revoked');

    const tokens = await obtainTokens(gatehouse, browser, client, user);
    const revocation = await revoke(gatehouse, clientCredentials(client), { token: tokens.refresh_token ?? '' });
    assert.equal(revocation.statusCode, 200, revocation.body);
    assert.equal(revocation.headers['cache-control'], 'no-store');
    assert.equal(await isActive(tokens.refresh_token ?? ''), false, 'the refresh token is inactive');
    assert.equal(await isActive(tokens.access_token), false, 'the access token is inactive');
  });

  it("leaves another client's token alone", async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user);
    for (const token of [tokens.access_token, tokens.refresh_token ?? '']) {
      const response = await revoke(gatehouse, clientCredentials(otherClient), { token });
      assert.equal(response.statusCode, 200, 'the response is the no-op 200');
      assert.equal(response.body, '', 'an empty body');
      assert.equal(await isActive(token), true, 'the token stays active');
    }
  });

  // RFC 7009 section 2.2: unknown tokens get 200.
  it('answers 200 for unknown tokens', async () => {
    const response = await revoke(gatehouse, clientCredentials(client), { token: 'garbage' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '');
  });

  it('treats the hint as a hint', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user);
    const wrongHint = await revoke(gatehouse, clientCredentials(client), { token: tokens.access_token, token_type_hint: 'refresh_token' });
    assert.equal(wrongHint.statusCode, 200);
    assert.equal(await isActive(tokens.access_token), false, 'the access token is revoked despite the hint');
    assert.equal(await isActive(tokens.refresh_token ?? ''), true, 'an access token revocation leaves the refresh token');

    const bogus = await revoke(gatehouse, clientCredentials(client), { token: tokens.refresh_token ?? '', token_type_hint: 'bogus' });
    assert.equal(bogus.statusCode, 200);
    assert.equal(await isActive(tokens.refresh_token ?? ''), false, 'the refresh token is revoked despite a bogus hint');
  });

  it('requires client authentication', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user);
    const none = await postRaw(gatehouse, '/revoke', new URLSearchParams({ token: tokens.access_token }).toString());
    assertTokenError(none, 401, 'invalid_client', 'no credentials');
    const wrong = await postRaw(gatehouse, '/revoke', new URLSearchParams({ token: tokens.access_token }).toString(), {
      authorization: basicAuthorization(client.clientId, 'wrong-secret'),
    });
    assertTokenError(wrong, 401, 'invalid_client', 'wrong secret');
    const idOnly = await postRaw(gatehouse, '/revoke', new URLSearchParams({ token: tokens.access_token, client_id: client.clientId }).toString());
    assertTokenError(idOnly, 401, 'invalid_client', 'client_id without secret');
    assert.equal(await isActive(tokens.access_token), true, 'the token is unaffected');
  });

  it('takes only form POSTs without repeats', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user);
    const auth = { authorization: basicAuthorization(client.clientId, client.secret ?? '') };
    const get = await gatehouse.app.inject({ method: 'GET', url: `/revoke?token=${tokens.access_token}`, headers: auth });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'POST');

    const json = await gatehouse.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ token: tokens.access_token }),
    });
    assertTokenError(json, 400, 'invalid_request', 'JSON body');

    const repeated = await postRaw(gatehouse, '/revoke', `token=${tokens.access_token}&token=other`, auth);
    assertTokenError(repeated, 400, 'invalid_request', 'repeated token');
    assert.equal(await isActive(tokens.access_token), true, 'the token is unaffected');
  });
});
