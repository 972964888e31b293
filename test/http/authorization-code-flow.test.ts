import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode, requestToken, submitConsent, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

describe('authorization code flow', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Photo Printer' });
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  it('walks login, consent, code and token', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const request = authorizationUrl(client, { scope: 'openid profile email' });

    const first = await browser.get(request.url);
    assert.equal(first.statusCode, 303);
    const loginLocation = locationOf(first);
    assert.match(loginLocation, /^\/login\?request=/);

    const afterLogin = await submitLogin(browser, loginLocation, user);
    assert.equal(afterLogin.statusCode, 303);
    const consentLocation = locationOf(afterLogin);
    assert.match(consentLocation, /^\/consent\?request=/);

    const consentPage = await browser.get(consentLocation);
    assert.equal(consentPage.statusCode, 200);
    assert.match(consentPage.body, /Photo Printer/);
    assert.match(consentPage.body, /See your email address/);

    const afterConsent = await submitConsent(browser, consentLocation, 'allow');
    assert.equal(afterConsent.statusCode, 303);
    const callback = new URL(locationOf(afterConsent));
    assert.equal(`${callback.origin}${callback.pathname}`, client.redirectUri);
    assert.equal(callback.searchParams.get('state'), request.state);
    assert.equal(callback.searchParams.get('iss'), gatehouse.config.issuer);
    const code = callback.searchParams.get('code');
    assert.ok(code !== null && code.length >= 43, 'the code carries at least 256 bits');

    const tokenResponse = await exchangeCode(gatehouse, client, {
      code,
      verifier: request.verifier,
      state: request.state,
      callback,
    });
    assert.equal(tokenResponse.statusCode, 200, tokenResponse.body);
    assert.equal(tokenResponse.headers['cache-control'], 'no-store');
    const tokens = tokenResponse.json();
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.scope, 'openid profile email');
    assert.equal(typeof tokens.access_token, 'string');
    assert.equal(typeof tokens.refresh_token, 'string');

    const userinfo = await gatehouse.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(userinfo.statusCode, 200);
    assert.deepEqual(userinfo.json(), {
      sub: user.id,
      preferred_username: user.username,
      name: user.name,
      updated_at: userinfo.json().updated_at,
      email: user.email,
      email_verified: false,
    });
  });

  it('skips login and consent the second time', async () => {
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, user, { scope: 'profile email' });

    const again = await browser.get(authorizationUrl(client, { scope: 'profile' }).url);
    assert.equal(again.statusCode, 302);
    const callback = new URL(locationOf(again));
    assert.ok(callback.searchParams.has('code'), `expected a code in ${callback.href}`);
  });

  it('rejects a second redemption and revokes its tokens', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const authorization = await authorize(browser, client, user);
    const first = await exchangeCode(gatehouse, client, authorization);
    assert.equal(first.statusCode, 200);
    const { access_token: accessToken, refresh_token: refreshToken } = first.json();

    const second = await exchangeCode(gatehouse, client, authorization);
    assert.equal(second.statusCode, 400);
    assert.equal(second.json().error, 'invalid_grant');

    const userinfo = await gatehouse.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.equal(userinfo.statusCode, 401, 'the access token from the first redemption is revoked');
    const refresh = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.equal(refresh.statusCode, 400, 'the refresh token from the first redemption is revoked');
    assert.equal(refresh.json().error, 'invalid_grant');
  });
});
