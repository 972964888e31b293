import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listLatestAuditEvents } from '../../src/storage/audit-events.js';
import { BrowserSession, createPkce, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode, requestToken, type CompletedAuthorization } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { assertTokenError, issuedRowCounts } from '../support/oauth-checks.js';

function codeForm(client: TestClient, authorization: CompletedAuthorization, verifier: string | undefined): Record<string, string> {
  const form: Record<string, string> = { grant_type: 'authorization_code', code: authorization.code, redirect_uri: client.redirectUri };
  if (verifier !== undefined) form.code_verifier = verifier;
  return form;
}

describe('PKCE at the token endpoint', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  /** Sends a token request with `verifier` and checks that it fails without storing a token. */
  async function assertVerifierRejected(verifier: string | undefined, name: string): Promise<CompletedAuthorization> {
    const authorization = await authorize(browser, client, user);
    const before = await issuedRowCounts(gatehouse);
    const response = await requestToken(gatehouse, client, codeForm(client, authorization, verifier));
    assertTokenError(response, 400, 'invalid_grant', name);
    const after = await issuedRowCounts(gatehouse);
    assert.equal(after.access_tokens, before.access_tokens, `${name}: no access token`);
    assert.equal(after.refresh_tokens, before.refresh_tokens, `${name}: no refresh token`);
    return authorization;
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'PKCE App' });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  // RFC 7636 section 4.6: a code bound to a challenge needs the verifier.
  it('requires the verifier', async () => {
    await assertVerifierRejected(undefined, 'no verifier');
  });

  it('spends the code on a wrong verifier', async () => {
    const authorization = await assertVerifierRejected(createPkce().verifier, 'wrong verifier');
    const retry = await exchangeCode(gatehouse, client, authorization);
    assertTokenError(retry, 400, 'invalid_grant', 'the right verifier after a wrong one');
  });

  it('rejects malformed verifiers', async () => {
    const valid = createPkce().verifier;
    const cases: Array<[string, string]> = [
      ['42 characters', 'a'.repeat(42)],
      ['129 characters', 'a'.repeat(129)],
      ['a space', `${valid.slice(0, 20)} ${valid.slice(21)}`],
      ['a plus sign', `${valid.slice(0, 20)}+${valid.slice(21)}`],
    ];
    for (const [name, verifier] of cases) await assertVerifierRejected(verifier, name);
  });

  it('rejects a request without a challenge', async () => {
    const request = authorizationUrl(client, { code_challenge: undefined, code_challenge_method: undefined });
    const response = await browser.get(request.url);
    const callback = new URL(locationOf(response));
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    assert.equal(callback.searchParams.get('code'), null, 'no code');
  });

  // RFC 9700 section 2.1.1: a constant challenge means a constant verifier, which PKCE cannot protect.
  it('reports a repeated challenge', async () => {
    const repeatedEvents = async () =>
      (await listLatestAuditEvents(gatehouse.database.db, 1000)).filter(
        (event) => event.type === 'pkce_challenge_repeated' && event.clientId === client.clientId,
      ).length;
    const before = await repeatedEvents();
    await authorize(browser, client, user);
    await authorize(browser, client, user);
    assert.equal(await repeatedEvents(), before, 'fresh challenges are not reported');

    const constant = createPkce();
    const first = await authorize(browser, client, user, { code_challenge: constant.challenge });
    const second = await authorize(browser, client, user, { code_challenge: constant.challenge });
    assert.equal(await repeatedEvents(), before + 1, 'the second use of one challenge is audited');
    assert.notEqual(first.code, second.code, 'the code is still issued');
    const tokens = await requestToken(gatehouse, client, codeForm(client, second, constant.verifier));
    assert.equal(tokens.statusCode, 200, `the code still works with its verifier: ${tokens.body}`);
  });
});

describe('PKCE downgrade', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_REQUIRE_PKCE: 'false' } });
    client = await gatehouse.createClient({ name: 'Legacy App' });
    await gatehouse.database.db.updateTable('clients').set({ require_pkce: 0 }).where('id', '=', client.clientId).execute();
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  // RFC 9700 section 4.8.2: a verifier for a code issued without a challenge is rejected.
  it('rejects a verifier without a challenge', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const authorization = await authorize(browser, client, user, { code_challenge: undefined, code_challenge_method: undefined });
    const before = await issuedRowCounts(gatehouse);
    const response = await requestToken(gatehouse, client, codeForm(client, authorization, createPkce().verifier));
    assertTokenError(response, 400, 'invalid_grant', 'verifier without challenge');
    assert.equal((await issuedRowCounts(gatehouse)).access_tokens, before.access_tokens, 'no access token');
  });
});
