import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect, revoke } from '../support/lifecycle.js';
import { obtainTokens, refresh } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';

/** Parallel requests per round and rounds per test: enough to interleave, bounded for a small machine. */
const PARALLEL = 20;
const ROUNDS = 3;

describe('concurrency', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  const isActive = async (token: string) => (await introspect(gatehouse, clientCredentials(client), token)).active === true;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Racing App' });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  // A code is spent by one conditional UPDATE, and every later use revokes the family as a replay.
  it('redeems a code at most once in parallel', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const authorization = await authorize(browser, client, user);
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => exchangeCode(gatehouse, client, authorization)));
      const winners = responses.filter((response) => response.statusCode === 200);
      assert.equal(winners.length, 1, `round ${round}: exactly one success`);
      for (const loser of responses.filter((response) => response.statusCode !== 200)) {
        assert.equal(loser.statusCode, 400, loser.body);
        assert.equal(loser.json().error, 'invalid_grant');
      }
      const winner = winners[0]?.json();
      assert.equal(await isActive(winner.access_token), false, `round ${round}: the replays revoked the winner's access token`);
      assert.equal(await isActive(winner.refresh_token), false, `round ${round}: and its refresh token`);
    }
  });

  it('rotates a refresh token at most once in parallel', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const tokens = await obtainTokens(gatehouse, browser, client, user);
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(gatehouse, client, tokens.refresh_token ?? '')));
      const winners = responses.filter((response) => response.statusCode === 200);
      assert.ok(winners.length <= 1, `round ${round}: at most one success, got ${winners.length}`);
      for (const winner of winners) {
        assert.equal(await isActive(winner.json().refresh_token), false, `round ${round}: no live refresh chain remains`);
      }
      for (const loser of responses.filter((response) => response.statusCode !== 200)) {
        assert.equal(loser.json().error, 'invalid_grant', loser.body);
      }
      assert.equal(await isActive(tokens.access_token), false, `round ${round}: the family is revoked`);
    }
  });

  it('issues one code for a doubled consent', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const session = new BrowserSession(gatehouse.app);
      const newcomer = await gatehouse.createUser();
      const request = authorizationUrl(client, { scope: 'profile' });
      const consentLocation = locationOf(await submitLogin(session, locationOf(await session.get(request.url)), newcomer));
      const page = await session.get(consentLocation);
      const form = { csrf_token: formValue(page.body, 'csrf_token'), request: formValue(page.body, 'request'), decision: 'allow' };
      const codesBefore = await countRows(gatehouse, 'authorization_codes');
      const responses = await Promise.all([session.postForm('/consent', form), session.postForm('/consent', form)]);
      const withCode = responses.filter((response) => String(response.headers.location ?? '').includes('code='));
      assert.ok(withCode.length <= 1, `round ${round}: at most one code, got ${withCode.length}`);
      assert.ok((await countRows(gatehouse, 'authorization_codes')) - codesBefore <= 1, `round ${round}: at most one code row`);
    }
  });

  it('leaves nothing active after revoke races refresh', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const tokens = await obtainTokens(gatehouse, browser, client, user);
      const [refreshed] = await Promise.all([
        refresh(gatehouse, client, tokens.refresh_token ?? ''),
        revoke(gatehouse, clientCredentials(client), { token: tokens.refresh_token ?? '' }),
      ]);
      assert.equal(await isActive(tokens.access_token), false, `round ${round}: the first access token`);
      if (refreshed.statusCode === 200) {
        const successor = refreshed.json();
        assert.equal(await isActive(successor.access_token), false, `round ${round}: the racing access token`);
        assert.equal(await isActive(successor.refresh_token), false, `round ${round}: the racing refresh token`);
      }
    }
  });
});
