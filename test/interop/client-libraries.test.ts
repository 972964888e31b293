import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { submitConsent, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

/** True for a library error carrying a 403 `insufficient_scope` Bearer challenge that names `openid`. */
function isScopeChallenge(error: unknown): boolean {
  if (!(error instanceof oauth.WWWAuthenticateChallengeError) || error.status !== 403) return false;
  const [challenge] = error.cause;
  return (
    challenge?.scheme === 'bearer' &&
    challenge.parameters.error === 'insufficient_scope' &&
    challenge.parameters.scope === 'openid'
  );
}

/**
 * Real client libraries as the consumer, over real HTTP. The browser part (login and consent)
 * goes through the inject-based browser session against the same application.
 */
describe('client library interoperability', () => {
  let gatehouse: TestGatehouse;
  let user: TestUser;
  let confidential: TestClient;
  let postClient: TestClient;

  before(async () => {
    gatehouse = await startTestGatehouse({ listen: true });
    user = await gatehouse.createUser({ username: 'interop', email: 'interop@example.com' });
    confidential = await gatehouse.createClient({
      name: 'Interop App',
      redirectUris: ['http://127.0.0.1:8123/callback'],
    });
    postClient = await gatehouse.createClient({
      name: 'Interop Post App',
      redirectUris: ['http://127.0.0.1:8124/callback'],
      tokenEndpointAuthMethod: 'client_secret_post',
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
  });
  after(() => gatehouse.stop());

  /** Logs in and allows, then returns the URL the browser was sent back to. */
  async function completeInBrowser(browser: BrowserSession, authorizationUrl: URL): Promise<URL> {
    let response = await browser.get(`${authorizationUrl.pathname}${authorizationUrl.search}`);
    let location = locationOf(response);
    if (location.startsWith('/login')) {
      response = await submitLogin(browser, location, user);
      location = locationOf(response);
    }
    if (location.startsWith('/consent')) {
      response = await submitConsent(browser, location, 'allow');
      location = locationOf(response);
    }
    return new URL(location);
  }

  it('oauth4webapi runs code, refresh and scope challenge', async () => {
    const issuer = new URL(gatehouse.baseUrl);
    const discovery = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    const server = await oauth.processDiscoveryResponse(issuer, discovery);
    assert.equal(server.issuer, gatehouse.baseUrl);

    const appClient: oauth.Client = { client_id: confidential.clientId };
    const authentication = oauth.ClientSecretBasic(confidential.secret ?? '');
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(server.authorization_endpoint ?? '');
    authorizationUrl.search = new URLSearchParams({
      client_id: confidential.clientId,
      redirect_uri: confidential.redirectUri,
      response_type: 'code',
      scope: 'profile email',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();

    const callback = await completeInBrowser(new BrowserSession(gatehouse.app), authorizationUrl);
    // validateAuthResponse checks the state and the RFC 9207 iss parameter.
    const parameters = oauth.validateAuthResponse(server, appClient, callback, state);

    const tokenResponse = await oauth.authorizationCodeGrantRequest(
      server,
      appClient,
      authentication,
      parameters,
      confidential.redirectUri,
      verifier,
      { [oauth.allowInsecureRequests]: true },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(server, appClient, tokenResponse);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'profile email');
    assert.ok(tokens.refresh_token, 'a refresh token is issued');

    // A plain OAuth token (no openid scope) may not read the OpenID Connect userinfo endpoint.
    const userinfoResponse = await oauth.userInfoRequest(server, appClient, tokens.access_token, {
      [oauth.allowInsecureRequests]: true,
    });
    await assert.rejects(
      oauth.processUserInfoResponse(server, appClient, user.id, userinfoResponse),
      (error: unknown) => isScopeChallenge(error),
      'oauth4webapi reports the insufficient_scope challenge',
    );

    const refreshResponse = await oauth.refreshTokenGrantRequest(server, appClient, authentication, tokens.refresh_token, {
      [oauth.allowInsecureRequests]: true,
    });
    const refreshed = await oauth.processRefreshTokenResponse(server, appClient, refreshResponse);
    assert.notEqual(refreshed.access_token, tokens.access_token, 'refresh issues a new access token');
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh rotates the refresh token');
  });

  it('oauth4webapi reports access_denied after Deny', async () => {
    const issuer = new URL(gatehouse.baseUrl);
    const server = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const other = await gatehouse.createUser();
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(server.authorization_endpoint ?? '');
    authorizationUrl.search = new URLSearchParams({
      client_id: confidential.clientId,
      redirect_uri: confidential.redirectUri,
      response_type: 'code',
      scope: 'profile',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();

    const browser = new BrowserSession(gatehouse.app);
    const login = await submitLogin(browser, locationOf(await browser.get(`${authorizationUrl.pathname}${authorizationUrl.search}`)), other);
    const denied = new URL(locationOf(await submitConsent(browser, locationOf(login), 'deny')));

    assert.throws(
      () => oauth.validateAuthResponse(server, { client_id: confidential.clientId }, denied, state),
      (error: unknown) => error instanceof oauth.AuthorizationResponseError && error.error === 'access_denied',
      'oauth4webapi surfaces access_denied with a verified state and issuer',
    );
  });

  it('openid-client runs code, refresh and client credentials', async () => {
    const config = await client.discovery(
      new URL(gatehouse.baseUrl),
      postClient.clientId,
      undefined,
      client.ClientSecretPost(postClient.secret ?? ''),
      { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
    );
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: postClient.redirectUri,
      scope: 'profile',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });

    const callback = await completeInBrowser(new BrowserSession(gatehouse.app), authorizationUrl);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(tokens.scope, 'profile');

    await assert.rejects(
      client.fetchUserInfo(config, tokens.access_token, user.id),
      (error: unknown) => isScopeChallenge(error),
      'openid-client reports the insufficient_scope challenge',
    );

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.ok(refreshed.access_token);

    const service = await client.clientCredentialsGrant(config, { scope: 'api:read' });
    assert.equal(service.scope, 'api:read');
    assert.equal(service.refresh_token, undefined, 'client credentials issue no refresh token');
  });
});
