import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, revoke } from '../support/lifecycle.js';
import { jwtPayload, obtainTokens, tokenSetOf } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { getUserinfo } from '../support/token-requests.js';

const SESSION_COOKIE = 'gatehouse_session';

async function isSignedIn(browser: BrowserSession): Promise<boolean> {
  const home = await browser.get('/');
  assert.equal(home.statusCode, 200, 'the home page loads');
  return /<h1>Signed in<\/h1>/.test(home.body);
}

describe('OpenID Connect', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let rsaClient: TestClient;
  let alice: TestUser;
  let bob: TestUser;

  const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({
      name: 'OIDC App',
      scopes: OIDC_SCOPES,
      postLogoutRedirectUris: ['https://app.example.com/signed-out'],
    });
    rsaClient = await gatehouse.createClient({ name: 'RSA App', scopes: OIDC_SCOPES, idTokenSignedResponseAlg: 'RS256' });
    alice = await gatehouse.createUser({ username: 'alice', email: 'shared@example.com' });
    bob = await gatehouse.createUser({ username: 'bob', email: 'shared@example.com' });
  });
  after(() => gatehouse.stop());

  it('signs ID tokens with published keys', async () => {
    const discovery = (await gatehouse.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
    const jwks = createLocalJWKSet((await gatehouse.app.inject({ method: 'GET', url: '/jwks' })).json());
    for (const target of [client, rsaClient]) {
      const tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), target, alice, { scope: 'openid' });
      const header = JSON.parse(Buffer.from((tokens.id_token ?? '').split('.')[0] ?? '', 'base64url').toString());
      assert.ok(discovery.id_token_signing_alg_values_supported.includes(header.alg), `${header.alg} is advertised`);
      assert.notEqual(header.alg, 'none');
      assert.equal(typeof header.kid, 'string', 'a kid');
      const { payload } = await jwtVerify(tokens.id_token ?? '', jwks, {
        issuer: gatehouse.config.issuer,
        audience: target.clientId,
        currentDate: new Date(gatehouse.clock.now()),
      });
      assert.equal(payload.sub, alice.id);
    }
  });

  // OpenID Connect Core section 2: the required ID token claims.
  it('fills the ID token claims', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const first = await obtainTokens(gatehouse, browser, client, alice, { scope: 'openid', nonce: 'nonce-one', max_age: '600' });
    const second = await obtainTokens(gatehouse, browser, client, alice, { scope: 'openid', nonce: 'nonce-two' });
    const third = await obtainTokens(gatehouse, browser, client, alice, { scope: 'openid' });
    const claims = jwtPayload(first.id_token ?? '');
    const now = Math.floor(gatehouse.clock.now() / 1000);
    assert.equal(claims.iss, gatehouse.config.issuer);
    assert.deepEqual([claims.aud].flat(), [client.clientId]);
    assert.equal(claims.sub, alice.id);
    assert.ok(Math.abs(Number(claims.iat) - now) <= 5, 'iat is now');
    assert.ok(Number(claims.exp) - Number(claims.iat) <= 3600, 'lives at most an hour');
    assert.equal(typeof claims.auth_time, 'number', 'auth_time with max_age');
    assert.equal(claims.nonce, 'nonce-one');
    assert.equal(jwtPayload(second.id_token ?? '').nonce, 'nonce-two', 'each flow its own nonce');
    assert.equal(jwtPayload(third.id_token ?? '').nonce, undefined, 'no nonce without one in the request');
  });

  it('keeps sub stable and distinct', async () => {
    const viaClient = jwtPayload((await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, bob, { scope: 'openid' })).id_token ?? '');
    const viaRsa = jwtPayload((await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), rsaClient, bob, { scope: 'openid' })).id_token ?? '');
    assert.equal(viaClient.sub, viaRsa.sub, 'one sub across clients');
    assert.notEqual(viaClient.sub, alice.id, 'users with one email have different subjects');
    assert.notEqual(viaClient.sub, 'bob', 'sub is not the username');
    assert.match(String(viaClient.sub), /^[\x21-\x7e]{1,255}$/, 'at most 255 ASCII characters');
  });

  it('forces a new login for max_age=0 and prompt=login', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const first = await obtainTokens(gatehouse, browser, client, alice, { scope: 'openid' });
    const firstAuthTime = Number(jwtPayload(first.id_token ?? '').auth_time);
    for (const parameters of [{ max_age: '0' }, { prompt: 'login' }]) {
      gatehouse.clock.advance(10);
      const sessionBefore = browser.cookies.get(SESSION_COOKIE);
      const request = authorizationUrl(client, { scope: 'openid', ...parameters });
      const location = locationOf(await browser.get(request.url));
      assert.match(location, /^\/login\?/, `${JSON.stringify(parameters)}: the login page is shown`);
      const tokens = await obtainTokens(gatehouse, browser, client, alice, { scope: 'openid', ...parameters });
      assert.notEqual(browser.cookies.get(SESSION_COOKIE), sessionBefore, 'a new session cookie');
      assert.ok(Number(jwtPayload(tokens.id_token ?? '').auth_time) > firstAuthTime, 'auth_time moved on');
    }
  });

  // RFC 6750 sections 2 and 3: bearer tokens in the header or body, never the query.
  it('guards the userinfo endpoint', async () => {
    const tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, alice, { scope: 'openid profile' });

    const ok = await getUserinfo(gatehouse, tokens.access_token);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().sub, jwtPayload(tokens.id_token ?? '').sub, 'sub matches the ID token');
    assert.equal(ok.json().preferred_username, 'alice');
    assert.equal(ok.json().email, undefined, 'no email claim without the email scope');

    const inQuery = await gatehouse.app.inject({ method: 'GET', url: `/userinfo?access_token=${tokens.access_token}` });
    assert.equal(inQuery.statusCode, 400, inQuery.body);
    assert.equal(inQuery.json().sub, undefined, 'no claims for a query token');

    const none = await gatehouse.app.inject({ method: 'GET', url: '/userinfo' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="gatehouse"', 'no error code without a token');

    await revoke(gatehouse, clientCredentials(client), { token: tokens.access_token });
    const revoked = await getUserinfo(gatehouse, tokens.access_token);
    assert.equal(revoked.statusCode, 401);
    assert.match(String(revoked.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);

    const expiring = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, alice, { scope: 'openid' });
    gatehouse.clock.advance(3601);
    const expired = await getUserinfo(gatehouse, expiring.access_token);
    gatehouse.clock.advance(-3601);
    assert.equal(expired.statusCode, 401);
    assert.match(String(expired.headers['www-authenticate']), /error="invalid_token"/);

    // OpenID Connect Core section 5.3: userinfo serves tokens from OpenID Connect requests only.
    const plainOAuth = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, alice, { scope: 'profile' });
    const withoutOpenid = await getUserinfo(gatehouse, plainOAuth.access_token);
    assert.equal(withoutOpenid.statusCode, 403, withoutOpenid.body);
    assert.equal(withoutOpenid.json().error, 'insufficient_scope');
    assert.equal(withoutOpenid.json().sub, undefined, 'no claims for a token without openid');
    assert.match(String(withoutOpenid.headers['www-authenticate']), /error="insufficient_scope"/);
  });

  // OpenID Connect Core section 3.1.2.2: id_token_hint names the user the client expects.
  it("does not sign in as the hint's user", async () => {
    const bobToken = (await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, bob, { scope: 'openid' })).id_token ?? '';
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, alice, { scope: 'openid' });

    const codes = await countRows(gatehouse, 'authorization_codes');
    const request = authorizationUrl(client, { scope: 'openid', prompt: 'none', id_token_hint: bobToken });
    const callback = new URL(locationOf(await browser.get(request.url)));
    assert.ok(['login_required', 'interaction_required'].includes(callback.searchParams.get('error') ?? ''), callback.href);
    assert.equal(callback.searchParams.get('code'), null, 'no code');
    assert.equal(await countRows(gatehouse, 'authorization_codes'), codes, 'no code row');
  });

  // OpenID Connect Core section 5.5.1: a requested `sub` value names the only user the request may be completed for.
  it("does not answer for another user's sub", async () => {
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, alice, { scope: 'openid' });
    const codes = await countRows(gatehouse, 'authorization_codes');

    for (const target of ['id_token', 'userinfo']) {
      const claims = JSON.stringify({ [target]: { sub: { value: bob.id } } });
      const silent = authorizationUrl(client, { scope: 'openid', prompt: 'none', claims });
      const callback = new URL(locationOf(await browser.get(silent.url)));
      assert.equal(callback.searchParams.get('error'), 'login_required', `${target}: ${callback.href}`);
      assert.equal(callback.searchParams.get('code'), null, `${target}: no code`);

      const interactive = await browser.get(authorizationUrl(client, { scope: 'openid', claims }).url);
      assert.match(locationOf(interactive), /^\/login/, `${target}: the login page, not a code for alice`);
    }
    assert.equal(await countRows(gatehouse, 'authorization_codes'), codes, 'no code row');

    const ownSub = authorizationUrl(client, { scope: 'openid', claims: JSON.stringify({ id_token: { sub: { value: alice.id } } }) });
    const own = new URL(locationOf(await browser.get(ownSub.url)));
    assert.ok(own.searchParams.has('code'), `alice's own sub gets a code: ${own.href}`);
  });

  // OpenID Connect Core sections 5.4 and 5.5: the user consents per scope, so `claims` cannot widen it.
  it('releases no claim beyond the granted scopes', async () => {
    const claims = JSON.stringify({
      id_token: { email: { essential: true }, name: null, preferred_username: null },
      userinfo: { email: null, name: null },
    });
    const tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, alice, { scope: 'openid', claims });
    const idToken = jwtPayload(tokens.id_token ?? '');
    for (const claim of ['email', 'name', 'preferred_username']) {
      assert.equal(idToken[claim], undefined, `the ID token has no ${claim}`);
    }
    const userinfo = (await getUserinfo(gatehouse, tokens.access_token)).json();
    assert.equal(userinfo.sub, alice.id, 'userinfo names the user');
    assert.equal(userinfo.email, undefined, 'userinfo has no email');
    assert.equal(userinfo.name, undefined, 'userinfo has no name');
  });

  // OpenID Connect RP-Initiated Logout 1.0 section 2: logout without a valid hint asks the user.
  it('limits the logout parameters', async () => {
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, alice, { scope: 'openid' });
    const response = await browser.get(`/end-session?${new URLSearchParams({ state: 's'.repeat(5000) })}`);
    assert.equal(response.statusCode, 400, 'a 5000-character state is invalid');
    assert.equal(response.headers.location, undefined, 'nothing is redirected or echoed');
    assert.equal(await isSignedIn(browser), true, 'the session is intact');
  });

  it('asks before an unverified logout', async () => {
    const bobToken = (await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, bob, { scope: 'openid' })).id_token ?? '';
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, alice, { scope: 'openid' });

    for (const query of ['', `?id_token_hint=${bobToken}`]) {
      const page = await browser.get(`/end-session${query}`);
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /name="csrf_token"/, 'a confirmation form');
      assert.equal(await isSignedIn(browser), true, 'the session is intact');
    }

    const forged = await browser.postForm('/end-session/confirm', {});
    assert.equal(forged.statusCode, 403, 'a confirmation without CSRF token is rejected');
    assert.equal(await isSignedIn(browser), true, 'the session is intact');

    const page = await browser.get('/end-session');
    const confirmed = await browser.postForm('/end-session/confirm', { csrf_token: formValue(page.body, 'csrf_token') });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal(await isSignedIn(browser), false, 'the confirmed logout ends the session');
  });

  it('redirects after logout only to registered URIs', async () => {
    const tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, alice, { scope: 'openid' });
    const registered = 'https://app.example.com/signed-out';
    const variants = [`${registered}/extra`, `${registered}?next=x`, 'https://evil.example/signed-out'];
    for (const uri of variants) {
      for (const identification of [`client_id=${client.clientId}`, `id_token_hint=${tokens.id_token}`, '']) {
        const browser = new BrowserSession(gatehouse.app);
        const query = new URLSearchParams(identification);
        query.set('post_logout_redirect_uri', uri);
        const response = await browser.get(`/end-session?${query}`);
        assert.equal(response.statusCode, 400, `${uri} with '${identification.split('=')[0]}': ${response.statusCode}`);
        assert.equal(response.headers.location, undefined, 'no redirect');
      }
    }
    const valid = await new BrowserSession(gatehouse.app).get(
      `/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: registered })}`,
    );
    assert.equal(valid.statusCode, 303, 'the registered URI is used');
    assert.equal(valid.headers.location, registered);
  });

  it('gives no ID token without openid', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const authorization = await authorize(browser, client, alice, { scope: 'profile', nonce: 'ignored' });
    assert.equal(tokenSetOf(await exchangeCode(gatehouse, client, authorization)).id_token, undefined);
  });
});
