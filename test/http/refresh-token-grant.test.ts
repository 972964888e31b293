import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { accessTokenWorks } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { getUserinfo } from '../support/token-requests.js';

/** The number of concurrent uses of one refresh token, bounded so the test stays quick on both databases. */
const CONCURRENT_REQUESTS = 50;

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  scope: string | undefined;
}

function assertInvalid(response: LightMyRequestResponse, error: string, message: string): void {
  assert.equal(response.statusCode, 400, `${message}: status 400: ${response.body}`);
  assert.equal(response.json().error, error, `${message}: error ${error}`);
  assert.equal(response.json().access_token, undefined, `${message}: no access token`);
}

function toPair(response: LightMyRequestResponse, message: string): TokenPair {
  assert.equal(response.statusCode, 200, `${message}: ${response.body}`);
  const body = response.json();
  assert.equal(typeof body.access_token, 'string', `${message}: an access token`);
  assert.equal(typeof body.refresh_token, 'string', `${message}: a refresh token`);
  return { accessToken: body.access_token, refreshToken: body.refresh_token, scope: body.scope };
}

describe('refresh token grant', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  async function newPair(target: TestClient = client, scope = 'openid profile email'): Promise<TokenPair> {
    const authorization = await authorize(browser, target, user, { scope });
    return toPair(await exchangeCode(gatehouse, target, authorization), 'the code exchange');
  }

  function refresh(target: TestClient, refreshToken: string, scope?: string): Promise<LightMyRequestResponse> {
    const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
    if (scope !== undefined) form.scope = scope;
    return requestToken(gatehouse, target, form);
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Refresh App' });
    otherClient = await gatehouse.createClient({ name: 'Other Refresh App' });
    publicClient = await gatehouse.createClient({ name: 'Public Refresh App', public: true });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('rotates the refresh token', async () => {
    const original = await newPair();
    const rotated = toPair(await refresh(client, original.refreshToken), 'the refresh');
    assert.notEqual(rotated.refreshToken, original.refreshToken, 'a new refresh token is issued');
    assert.notEqual(rotated.accessToken, original.accessToken, 'a new access token is issued');
    assert.equal(rotated.scope, 'openid profile email', 'the scope stays');
    assert.equal(await accessTokenWorks(gatehouse, rotated.accessToken), true, 'the new access token works');

    assertInvalid(await refresh(client, original.refreshToken), 'invalid_grant', 'the rotated-out refresh token');
  });

  it('revokes the family on reuse', async () => {
    const original = await newPair();
    const second = toPair(await refresh(client, original.refreshToken), 'the first rotation');
    const newest = toPair(await refresh(client, second.refreshToken), 'the second rotation');
    assert.equal(await accessTokenWorks(gatehouse, newest.accessToken), true, 'the newest access token works');

    assertInvalid(await refresh(client, original.refreshToken), 'invalid_grant', 'the reused refresh token');

    assert.equal(await accessTokenWorks(gatehouse, newest.accessToken), false, 'the newest access token is revoked');
    assertInvalid(await refresh(client, newest.refreshToken), 'invalid_grant', 'the newest refresh token');
  });

  it('revokes on reuse with wider scope', async () => {
    const original = await newPair(client, 'profile');
    const newest = toPair(await refresh(client, original.refreshToken), 'the rotation');

    assertInvalid(await refresh(client, original.refreshToken, 'profile email'), 'invalid_grant', 'the reused token');
    assert.equal(await accessTokenWorks(gatehouse, newest.accessToken), false, 'the newest access token is revoked');
    assertInvalid(await refresh(client, newest.refreshToken), 'invalid_grant', 'the newest refresh token');
  });

  it('rotates one of 50 concurrent uses', async () => {
    const original = await newPair();
    const refreshBefore = await countRows(gatehouse, 'refresh_tokens');
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, () => refresh(client, original.refreshToken)),
    );
    const succeeded = responses.filter((response) => response.statusCode === 200);
    const rejected = responses.filter((response) => response.statusCode === 400 && response.json().error === 'invalid_grant');
    assert.equal(succeeded.length, 1, 'exactly one use yields a new pair');
    assert.equal(rejected.length, CONCURRENT_REQUESTS - 1, 'every other use is invalid_grant');
    assert.equal(await countRows(gatehouse, 'refresh_tokens'), refreshBefore + 1, 'exactly one refresh token was stored');

    // Each losing request reused a rotated-out token, which RFC 9700 section 4.14.2 treats as
    // theft, so the new pair is revoked too.
    const winner = toPair(succeeded[0] as LightMyRequestResponse, 'the winning rotation');
    assert.equal(await accessTokenWorks(gatehouse, winner.accessToken), false, 'the new access token is revoked');
    assertInvalid(await refresh(client, winner.refreshToken), 'invalid_grant', 'the new refresh token');
  });

  it('narrows only the access token', async () => {
    const original = await newPair();
    const narrowed = toPair(await refresh(client, original.refreshToken, 'openid profile'), 'the narrowing refresh');
    assert.equal(narrowed.scope, 'openid profile', 'the access token has the narrower scope');
    const claims = (await getUserinfo(gatehouse, narrowed.accessToken)).json();
    assert.equal(claims.preferred_username, user.username, 'the profile claims are released');
    assert.equal(claims.email, undefined, 'the email claim is not released');

    const restored = toPair(await refresh(client, narrowed.refreshToken), 'the refresh without scope');
    assert.equal(restored.scope, 'openid profile email', 'the refresh token kept the original scope');
  });

  it('rejects a wider scope', async () => {
    const original = await newPair(client, 'profile');
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const wider = await refresh(client, original.refreshToken, 'profile email');
    assertInvalid(wider, 'invalid_scope', 'a scope beyond the original grant');
    assert.equal(wider.json().error_description, "the refresh token was not granted scope 'email'", 'the reason names the grant');
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no access token was stored');

    const retry = toPair(await refresh(client, original.refreshToken), 'the refresh after invalid_scope');
    assert.equal(retry.scope, 'profile', 'the refresh token still works with its own scope');
  });

  it('rejects a malformed scope', async () => {
    const original = await newPair();
    assertInvalid(await refresh(client, original.refreshToken, 'profile  email'), 'invalid_scope', 'a double space');
    toPair(await refresh(client, original.refreshToken), 'the refresh after a malformed scope');
  });

  it('binds the token to its client', async () => {
    const original = await newPair();
    assertInvalid(await refresh(otherClient, original.refreshToken), 'invalid_grant', "another client's refresh token");
    const own = toPair(await refresh(client, original.refreshToken), 'the own client after the attempt');
    assert.equal(await accessTokenWorks(gatehouse, own.accessToken), true, 'the family was not revoked');
  });

  it('refreshes for a public client', async () => {
    const original = await newPair(publicClient);
    const rotated = toPair(await refresh(publicClient, original.refreshToken), 'the public refresh');
    assert.notEqual(rotated.refreshToken, original.refreshToken, 'the public client gets a new refresh token');
  });

  it('rejects unknown and missing tokens', async () => {
    assertInvalid(await refresh(client, 'A'.repeat(43)), 'invalid_grant', 'an unknown refresh token');
    assertInvalid(await requestToken(gatehouse, client, { grant_type: 'refresh_token' }), 'invalid_request', 'no refresh token');
  });

  it('rejects an access token as refresh token', async () => {
    const original = await newPair();
    assertInvalid(await refresh(client, original.accessToken), 'invalid_grant', 'an access token');
  });

  // Runs last because it moves the shared clock past every token's lifetime.
  it('rejects an expired refresh token', async () => {
    const original = await newPair();
    gatehouse.clock.advance(gatehouse.config.refreshTokenSeconds + 1);
    assertInvalid(await refresh(client, original.refreshToken), 'invalid_grant', 'a refresh token past its lifetime');
  });
});
