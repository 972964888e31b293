import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { AUTHORIZATION_CODE_SECONDS } from '../../src/http/authorization-flow.js';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken, type CompletedAuthorization } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { accessTokenWorks } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';

/** The number of concurrent redemptions of one code, bounded so the test stays quick on both databases. */
const CONCURRENT_REQUESTS = 50;

function assertInvalid(response: LightMyRequestResponse, error: string, message: string): void {
  assert.equal(response.statusCode, 400, `${message}: status 400: ${response.body}`);
  assert.equal(response.json().error, error, `${message}: error ${error}`);
  assert.equal(response.json().access_token, undefined, `${message}: no access token`);
}

describe('authorization code grant', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  const newAuthorization = (target: TestClient = client, parameters: Record<string, string | undefined> = {}) =>
    authorize(browser, target, user, { scope: 'profile email', ...parameters });

  function redeem(
    authorization: CompletedAuthorization,
    overrides: Record<string, string | undefined> = {},
    target: TestClient = client,
  ): Promise<LightMyRequestResponse> {
    const form: Record<string, string | undefined> = {
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: client.redirectUri,
      code_verifier: authorization.verifier,
      ...overrides,
    };
    const defined: Record<string, string> = {};
    for (const [name, value] of Object.entries(form)) if (value !== undefined) defined[name] = value;
    return requestToken(gatehouse, target, defined);
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    const redirectUris = ['https://shared.example.com/callback', 'https://shared.example.com/second'];
    client = await gatehouse.createClient({ name: 'Code App', redirectUris });
    otherClient = await gatehouse.createClient({ name: 'Other Code App', redirectUris });
    publicClient = await gatehouse.createClient({ name: 'Public Code App', public: true });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('issues tokens for a valid code', async () => {
    const response = await exchangeCode(gatehouse, client, await newAuthorization());
    assert.equal(response.statusCode, 200, response.body);
    const tokens = response.json();
    assert.equal(tokens.token_type, 'Bearer', 'a bearer token');
    assert.equal(tokens.scope, 'profile email', 'the granted scope');
    assert.equal(tokens.expires_in, gatehouse.config.accessTokenSeconds, 'the access token lifetime');
    assert.equal(typeof tokens.refresh_token, 'string', 'a refresh token');
  });

  it('revokes tokens on a second redemption', async () => {
    const authorization = await newAuthorization();
    const first = await exchangeCode(gatehouse, client, authorization);
    assert.equal(first.statusCode, 200, first.body);
    const { access_token: accessToken, refresh_token: refreshToken } = first.json();
    assert.equal(await accessTokenWorks(gatehouse, accessToken), true, 'the first access token works');

    const second = await exchangeCode(gatehouse, client, authorization);
    assertInvalid(second, 'invalid_grant', 'the second redemption');

    assert.equal(await accessTokenWorks(gatehouse, accessToken), false, 'the first access token is revoked');
    const refresh = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
    assertInvalid(refresh, 'invalid_grant', 'the first refresh token');
  });

  it('redeems one of 50 concurrent requests', async () => {
    const authorization = await newAuthorization();
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, () => exchangeCode(gatehouse, client, authorization)),
    );
    const succeeded = responses.filter((response) => response.statusCode === 200);
    const rejected = responses.filter((response) => response.statusCode === 400 && response.json().error === 'invalid_grant');
    assert.equal(succeeded.length, 1, 'exactly one redemption succeeds');
    assert.equal(rejected.length, CONCURRENT_REQUESTS - 1, 'every other redemption is invalid_grant');
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore + 1, 'exactly one access token was stored');

    const winner = succeeded[0]?.json() as { access_token: string; refresh_token: string };
    const userinfo = await gatehouse.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${winner.access_token}` },
    });
    assert.equal(userinfo.statusCode, 401, 'the replays revoked the access token of the winning redemption');
    const refresh = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: winner.refresh_token });
    assertInvalid(refresh, 'invalid_grant', 'the refresh token of the winning redemption');
  });

  it('rejects an expired code', async () => {
    const authorization = await newAuthorization();
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    gatehouse.clock.advance(AUTHORIZATION_CODE_SECONDS + 1);
    assertInvalid(await exchangeCode(gatehouse, client, authorization), 'invalid_grant', 'a code past its lifetime');
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no access token was stored');
  });

  it('rejects an unknown code', async () => {
    const response = await requestToken(gatehouse, client, {
      grant_type: 'authorization_code',
      code: 'A'.repeat(43),
      redirect_uri: client.redirectUri,
      code_verifier: 'v'.repeat(43),
    });
    assertInvalid(response, 'invalid_grant', 'an unknown code');
  });

  it('rejects a missing code', async () => {
    const response = await requestToken(gatehouse, client, { grant_type: 'authorization_code', redirect_uri: client.redirectUri });
    assertInvalid(response, 'invalid_request', 'a missing code');
  });

  describe('bindings', () => {
    const cases: Array<{
      name: string;
      overrides: (authorization: CompletedAuthorization) => Record<string, string | undefined>;
      useOtherClient?: boolean;
      error: string;
    }> = [
      { name: 'another client', overrides: () => ({}), useOtherClient: true, error: 'invalid_grant' },
      { name: 'a different redirect_uri', overrides: () => ({ redirect_uri: 'https://shared.example.com/second' }), error: 'invalid_grant' },
      { name: 'a missing redirect_uri', overrides: () => ({ redirect_uri: undefined }), error: 'invalid_request' },
      { name: 'a missing code_verifier', overrides: () => ({ code_verifier: undefined }), error: 'invalid_grant' },
      { name: 'a wrong code_verifier', overrides: () => ({ code_verifier: 'w'.repeat(43) }), error: 'invalid_grant' },
      { name: 'a short code_verifier', overrides: (a) => ({ code_verifier: a.verifier.slice(0, 42) }), error: 'invalid_grant' },
    ];
    for (const { name, overrides, useOtherClient, error } of cases) {
      it(`rejects ${name}`, async () => {
        const authorization = await newAuthorization();
        const tokensBefore = await countRows(gatehouse, 'access_tokens');
        const response = await redeem(authorization, overrides(authorization), useOtherClient === true ? otherClient : client);
        assertInvalid(response, error, name);
        assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, `${name}: no access token was stored`);
      });
    }

    it('failed attempt uses up code', async () => {
      const authorization = await newAuthorization();
      assertInvalid(await redeem(authorization, { code_verifier: 'w'.repeat(43) }), 'invalid_grant', 'the wrong verifier');
      assertInvalid(await redeem(authorization), 'invalid_grant', 'the right verifier after a failed attempt');
    });

    it('needs no redirect_uri when none was sent', async () => {
      const single = await gatehouse.createClient({ name: 'Single URI App' });
      const authorization = await newAuthorization(single, { redirect_uri: undefined });
      const response = await requestToken(gatehouse, single, {
        grant_type: 'authorization_code',
        code: authorization.code,
        code_verifier: authorization.verifier,
      });
      assert.equal(response.statusCode, 200, response.body);
    });
  });

  it('redeems a public client code', async () => {
    const authorization = await newAuthorization(publicClient);
    const response = await exchangeCode(gatehouse, publicClient, authorization);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(typeof response.json().refresh_token, 'string', 'a public client gets a rotating refresh token');
  });
});
