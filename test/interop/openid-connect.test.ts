import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { submitConsent, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

/**
 * openid-client as a relying party with its default checks. The issuer is plain http on
 * 127.0.0.1, so allowInsecureRequests is the one setting it needs; every ID token check stays on.
 */
describe('OpenID Connect with openid-client', () => {
  let gatehouse: TestGatehouse;
  let user: TestUser;
  let relyingParty: TestClient;
  const postLogoutRedirectUri = 'http://127.0.0.1:8124/signed-out';

  before(async () => {
    gatehouse = await startTestGatehouse({ listen: true });
    user = await gatehouse.createUser({ username: 'oidc-user', name: 'Olivia Idc', email: 'olivia@example.com' });
    relyingParty = await gatehouse.createClient({
      name: 'Relying Party',
      redirectUris: ['http://127.0.0.1:8124/callback'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      postLogoutRedirectUris: [postLogoutRedirectUri],
    });
  });
  after(() => gatehouse.stop());

  async function discover(rp: TestClient = relyingParty, metadata?: Partial<client.ClientMetadata>) {
    return client.discovery(new URL(gatehouse.baseUrl), rp.clientId, metadata, client.ClientSecretBasic(rp.secret ?? ''), {
      execute: [client.allowInsecureRequests],
    });
  }

  /** Follows the authorization URL through login and consent pages and returns the callback URL. */
  async function completeInBrowser(browser: BrowserSession, url: URL, loginUser: TestUser = user): Promise<URL> {
    let response = await browser.get(`${url.pathname}${url.search}`);
    let location = locationOf(response);
    if (location.startsWith('/login')) {
      response = await submitLogin(browser, location, loginUser);
      location = locationOf(response);
    }
    if (location.startsWith('/consent')) {
      response = await submitConsent(browser, location, 'allow');
      location = locationOf(response);
    }
    return new URL(location);
  }

  async function signIn(config: client.Configuration, browser: BrowserSession, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid profile email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      ...extra,
    });
    const callback = await completeInBrowser(browser, url);
    return { callback, verifier, nonce, state };
  }

  it('publishes a consistent discovery document', async () => {
    const config = await discover();
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, gatehouse.baseUrl);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['ES256', 'RS256', 'EdDSA']);
    assert.deepEqual(metadata.subject_types_supported, ['public']);
    assert.ok(metadata.scopes_supported?.includes('openid'), 'openid is a supported scope');
    const oauthMetadata = (await (await fetch(`${gatehouse.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    for (const field of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint']) {
      assert.equal(oauthMetadata[field], (metadata as Record<string, unknown>)[field], `${field} agrees in both documents`);
    }
  });

  it('signs in, refreshes and logs out', async () => {
    const config = await discover();
    const browser = new BrowserSession(gatehouse.app);
    const { callback, verifier, nonce, state } = await signIn(config, browser);

    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.ok(claims, 'an ID token was returned and validated');
    assert.equal(claims.sub, user.id, 'sub is the stable user id, not the username');
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.aud, relyingParty.clientId);
    assert.equal(typeof claims.auth_time, 'number', 'auth_time is present');
    assert.equal(typeof claims.at_hash, 'string', 'at_hash is present');
    assert.equal(decodeProtectedHeader(tokens.id_token ?? '').alg, 'ES256', 'ES256 is the default');

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.name, 'Olivia Idc');
    assert.equal(userinfo.email, 'olivia@example.com');
    assert.equal(userinfo.email_verified, false);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    const refreshedClaims = refreshed.claims();
    assert.ok(refreshedClaims, 'the refresh returned a new ID token');
    assert.equal(refreshedClaims.sub, claims.sub, 'the subject stays');
    assert.equal(refreshedClaims.auth_time, claims.auth_time, 'auth_time is the original login');
    assert.equal(refreshedClaims.nonce, undefined, 'a refresh ID token carries no nonce');

    const logoutUrl = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: postLogoutRedirectUri,
      state: 'logout-state',
    });
    const logout = await browser.get(`${logoutUrl.pathname}${logoutUrl.search}`);
    assert.equal(logout.statusCode, 303, 'a verified logout redirects at once');
    const back = new URL(locationOf(logout));
    assert.equal(`${back.origin}${back.pathname}`, postLogoutRedirectUri);
    assert.equal(back.searchParams.get('state'), 'logout-state');

    const nextRequest = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const afterLogout = await browser.get(`${nextRequest.pathname}${nextRequest.search}`);
    assert.match(locationOf(afterLogout), /^\/login/, 'the session ended, so the next request needs a login');
  });

  it('detects a wrong nonce', async () => {
    const config = await discover();
    const { callback, verifier, state } = await signIn(config, new BrowserSession(gatehouse.app));
    await assert.rejects(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedNonce: client.randomNonce(),
        expectedState: state,
      }),
      (error: unknown) => {
        assert.ok(error instanceof client.ClientError, 'openid-client raises a ClientError');
        assert.match(String((error.cause as Error | undefined)?.message), /"nonce" claim value/, 'the cause names the nonce');
        return true;
      },
      'openid-client rejects an ID token whose nonce differs from the one it sent',
    );
  });

  it('forces a login with max_age=0', async () => {
    const config = await discover();
    const browser = new BrowserSession(gatehouse.app);
    await signIn(config, browser);
    gatehouse.clock.advance(5);

    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      max_age: '0',
    });
    const response = await browser.get(`${url.pathname}${url.search}`);
    assert.match(locationOf(response), /^\/login/, 'max_age=0 needs a new login despite the session');

    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const withVerifier = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      max_age: '0',
      nonce,
    });
    const callback = await completeInBrowser(browser, withVerifier);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      maxAge: 0,
    });
    assert.equal(tokens.claims()?.auth_time, Math.floor(gatehouse.clock.now() / 1000), 'auth_time is the new login');
  });

  it('answers login_required for prompt=none', async () => {
    const config = await discover();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      prompt: 'none',
      state: 'silent',
    });
    const response = await new BrowserSession(gatehouse.app).get(`${url.pathname}${url.search}`);
    const callback = new URL(locationOf(response));
    assert.equal(`${callback.origin}${callback.pathname}`, relyingParty.redirectUri, 'the error goes to the redirect URI');
    assert.equal(callback.searchParams.get('error'), 'login_required');
    assert.equal(callback.searchParams.get('state'), 'silent');
    assert.equal(callback.searchParams.get('iss'), gatehouse.baseUrl);
  });

  it('signs with RS256 when the client registered it', async () => {
    const rs256 = await gatehouse.createClient({
      name: 'Older Relying Party',
      redirectUris: ['http://127.0.0.1:8125/callback'],
      scopes: ['openid', 'profile'],
      idTokenSignedResponseAlg: 'RS256',
    });
    const config = await discover(rs256, { id_token_signed_response_alg: 'RS256' });
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: rs256.redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const callback = await completeInBrowser(new BrowserSession(gatehouse.app), url);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce });
    assert.equal(decodeProtectedHeader(tokens.id_token ?? '').alg, 'RS256');
    assert.equal(tokens.claims()?.sub, user.id);
  });

  it('places requested claims within granted scopes', async () => {
    const config = await discover();
    const { callback, verifier, nonce, state } = await signIn(config, new BrowserSession(gatehouse.app), {
      scope: 'openid email',
      claims: JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { name: null } }),
    });
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
    });
    assert.equal(tokens.claims()?.email, 'olivia@example.com', 'the ID token has the requested email claim');
    assert.equal(tokens.claims()?.name, undefined, 'claims requested for userinfo stay out of the ID token');
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, user.id);
    assert.equal(userinfo.email, 'olivia@example.com', 'userinfo has the email the scope releases');
    assert.equal(userinfo.name, undefined, 'a requested name stays out without the profile scope the user approved');
  });

  it('keeps a rotated-out key until tokens expire', async () => {
    const config = await discover();
    const { callback, verifier, nonce, state } = await signIn(config, new BrowserSession(gatehouse.app));
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
    });
    const oldKid = decodeProtectedHeader(tokens.id_token ?? '').kid;

    const newKid = await gatehouse.context.signingKeys.rotate('ES256', gatehouse.config.idTokenSeconds);
    assert.notEqual(newKid, oldKid, 'rotation creates a new key');

    const jwks = createRemoteJWKSet(new URL(`${gatehouse.baseUrl}/jwks`));
    const verified = await jwtVerify(tokens.id_token ?? '', jwks, {
      issuer: gatehouse.baseUrl,
      audience: relyingParty.clientId,
      currentDate: new Date(gatehouse.clock.now()),
    });
    assert.equal(verified.protectedHeader.kid, oldKid, 'the ID token signed with the old key still validates');

    const next = await signIn(await discover(), new BrowserSession(gatehouse.app));
    const nextTokens = await client.authorizationCodeGrant(await discover(), next.callback, {
      pkceCodeVerifier: next.verifier,
      expectedNonce: next.nonce,
      expectedState: next.state,
    });
    assert.equal(decodeProtectedHeader(nextTokens.id_token ?? '').kid, newKid, 'new ID tokens use the new key');

    gatehouse.clock.advance(gatehouse.config.idTokenSeconds + 120);
    const kids = ((await (await fetch(`${gatehouse.baseUrl}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
      (key) => key.kid,
    );
    assert.ok(!kids.includes(oldKid ?? ''), 'the old key leaves the JWKS once its tokens have expired');
    assert.ok(kids.includes(newKid), 'the new key stays published');
  });

  it('serves only public, unique keys', async () => {
    const { keys } = (await (await fetch(`${gatehouse.baseUrl}/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    assert.ok(keys.length >= 3, 'one key per supported algorithm');
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        assert.equal(key[member], undefined, `key ${String(key.kid)} exposes no private member '${member}'`);
      }
      assert.equal(key.use, 'sig');
      assert.equal(typeof key.alg, 'string');
    }
    assert.equal(new Set(keys.map((key) => key.kid)).size, keys.length, 'every kid is unique');
  });

  it('rejects an id_token_hint with an unknown kid', async () => {
    const foreign = await generateKeyPair('ES256');
    const forged = await new SignJWT({ sub: user.id, aud: relyingParty.clientId, iss: gatehouse.baseUrl })
      .setProtectedHeader({ alg: 'ES256', kid: 'not-a-gatehouse-key' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(foreign.privateKey);
    assert.ok(await exportJWK(foreign.publicKey), 'the foreign key pair exists');

    const query = new URLSearchParams({
      response_type: 'code',
      client_id: relyingParty.clientId,
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: client.randomPKCECodeVerifier().slice(0, 43),
      code_challenge_method: 'S256',
      id_token_hint: forged,
      state: 'forged-hint',
    });
    const response = await new BrowserSession(gatehouse.app).get(`/authorize?${query}`);
    const callback = new URL(locationOf(response));
    assert.equal(callback.searchParams.get('error'), 'invalid_request', 'a hint Gatehouse did not sign is rejected');
    assert.equal(callback.searchParams.get('code'), null, 'no code is issued');
  });

  it('delivers the response with form_post', async () => {
    const config = await discover();
    const browser = new BrowserSession(gatehouse.app);
    await signIn(config, browser);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      response_mode: 'form_post',
      state: 'posted',
      ui_locales: 'de',
    });
    const response = await browser.get(`${url.pathname}${url.search}`);
    assert.equal(response.statusCode, 200, 'the response is a page, not a redirect');
    assert.equal(response.headers.location, undefined);
    assert.match(response.body, new RegExp(`action="${relyingParty.redirectUri.replace(/[.]/g, '\\.')}"`));
    assert.equal(formValue(response.body, 'state'), 'posted');
    assert.equal(formValue(response.body, 'iss'), gatehouse.baseUrl);
    assert.ok(formValue(response.body, 'code').length >= 43, 'the form carries the code');
    assert.match(String(response.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(response.body, /<script>/, 'no inline script');
    assert.match(response.body, /<html lang="de"/, 'the page follows ui_locales');
  });

  it('shows the login page in the requested language', async () => {
    const config = await discover();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: relyingParty.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      ui_locales: 'de',
      login_hint: 'oidc-user',
    });
    const browser = new BrowserSession(gatehouse.app);
    const login = await browser.get(locationOf(await browser.get(`${url.pathname}${url.search}`)));
    assert.match(login.body, /<html lang="de">/);
    assert.match(login.body, /Benutzername/, 'the labels are German');
    assert.equal(formValue(login.body, 'username'), 'oidc-user', 'login_hint prefills the username');
  });
});
