import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode, requestToken, submitConsent, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect } from '../support/lifecycle.js';
import { accessTokenWorks, assertTokenError, issuedRowCounts, refresh, tokenSetOf } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { getUserinfo } from '../support/token-requests.js';

describe('authorization code redemption', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({
      name: 'Redemption App',
      redirectUris: ['https://app.example.com/cb', 'https://app.example.com/cb2'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    publicClient = await gatehouse.createClient({ name: 'Public App', public: true });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  // RFC 6749 section 4.1.2: a second use of a code fails and should revoke what the first issued.
  it('revokes the tokens of a replayed code', async () => {
    const authorization = await authorize(browser, client, user);
    const first = tokenSetOf(await exchangeCode(gatehouse, client, authorization));
    assert.equal(await accessTokenWorks(gatehouse, first.access_token), true, 'the first access token works');

    const replay = await exchangeCode(gatehouse, client, authorization);
    assertTokenError(replay, 400, 'invalid_grant', 'replayed code');

    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), first.access_token), { active: false });
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), first.refresh_token ?? ''), { active: false });
    assertTokenError(await refresh(gatehouse, client, first.refresh_token ?? ''), 400, 'invalid_grant', 'refresh after replay');
  });

  it('binds the code to its client', async () => {
    const authorization = await authorize(browser, client, user);
    const before = await issuedRowCounts(gatehouse);
    const stolen = await exchangeCode(gatehouse, otherClient, authorization);
    assertTokenError(stolen, 400, 'invalid_grant', "another client's credentials");

    const asPublic = await exchangeCode(gatehouse, publicClient, authorization);
    assertTokenError(asPublic, 400, 'invalid_grant', 'a public client id');
    assert.equal((await issuedRowCounts(gatehouse)).access_tokens, before.access_tokens, 'no access token was stored');

    // The first attempt spends the code, so the rightful client fails too.
    const rightful = await exchangeCode(gatehouse, client, authorization);
    assertTokenError(rightful, 400, 'invalid_grant', 'the rightful client after the theft');
  });

  it('binds the code to its redirect URI', async () => {
    const variants: Array<[string, string | undefined, string]> = [
      ['another registered URI', 'https://app.example.com/cb2', 'invalid_grant'],
      ['a trailing slash', 'https://app.example.com/cb/', 'invalid_grant'],
      ['omitted', undefined, 'invalid_request'],
    ];
    for (const [name, redirectUri, error] of variants) {
      const authorization = await authorize(browser, client, user);
      const form: Record<string, string> = { grant_type: 'authorization_code', code: authorization.code, code_verifier: authorization.verifier };
      if (redirectUri !== undefined) form.redirect_uri = redirectUri;
      const before = await countRows(gatehouse, 'access_tokens');
      assertTokenError(await requestToken(gatehouse, client, form), 400, error, name);
      assert.equal(await countRows(gatehouse, 'access_tokens'), before, `${name}: no access token`);
    }
  });

  // Codes live 60 seconds.
  it('rejects an expired code', async () => {
    const authorization = await authorize(browser, client, user);
    gatehouse.clock.advance(61);
    const before = await countRows(gatehouse, 'access_tokens');
    assertTokenError(await exchangeCode(gatehouse, client, authorization), 400, 'invalid_grant', 'expired code');
    assert.equal(await countRows(gatehouse, 'access_tokens'), before, 'no access token');
  });

  it('does not accept a code as a token', async () => {
    const authorization = await authorize(browser, client, user);
    const userinfo = await getUserinfo(gatehouse, authorization.code);
    assert.equal(userinfo.statusCode, 401, userinfo.body);
    assert.match(String(userinfo.headers['www-authenticate']), /error="invalid_token"/);
    assert.deepEqual(await introspect(gatehouse, clientCredentials(client), authorization.code), { active: false });

    const exchange = await exchangeCode(gatehouse, client, authorization);
    assert.equal(exchange.statusCode, 200, `the code still works at the token endpoint: ${exchange.body}`);
  });

  // OpenID Connect Core section 3.1.3.3: an ID token only for an openid request.
  it('issues an ID token only for openid', async () => {
    const plain = tokenSetOf(await exchangeCode(gatehouse, client, await authorize(browser, client, user, { scope: 'profile' })));
    assert.equal(plain.id_token, undefined, 'no ID token without openid');
    const oidc = tokenSetOf(await exchangeCode(gatehouse, client, await authorize(browser, client, user, { scope: 'openid profile' })));
    assert.equal(typeof oidc.id_token, 'string', 'an ID token with openid');
  });

  it('mints no code for a denied request', async () => {
    const used = await authorize(browser, client, user);
    tokenSetOf(await exchangeCode(gatehouse, client, used));

    // A user who never consented to the client, so the consent page appears.
    const newcomer = await gatehouse.createUser();
    const denying = new BrowserSession(gatehouse.app);
    const request = authorizationUrl(client, { scope: 'openid email' });
    const login = await submitLogin(denying, locationOf(await denying.get(request.url)), newcomer);
    const codesBefore = await countRows(gatehouse, 'authorization_codes');
    const denied = await submitConsent(denying, locationOf(login), 'deny');
    const callback = new URL(locationOf(denied));
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('code'), null, 'no code in the denial');
    assert.equal(await countRows(gatehouse, 'authorization_codes'), codesBefore, 'no code row was stored');

    assertTokenError(await exchangeCode(gatehouse, client, used), 400, 'invalid_grant', 'an earlier used code');
  });
});
