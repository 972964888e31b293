import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startTestGatehouse, type TestClient, type TestGatehouse } from '../support/gatehouse.js';
import { basicAuthorization } from '../support/token-requests.js';

describe('introspection scanning limit', () => {
  let gatehouse: TestGatehouse;
  let prober: TestClient;
  let bystander: TestClient;

  before(async () => {
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_INTROSPECTION_MAX_INACTIVE: '5' } });
    prober = await gatehouse.createClient({ name: 'Prober' });
    bystander = await gatehouse.createClient({ name: 'Bystander' });
  });
  after(() => gatehouse.stop());

  const introspect = (caller: TestClient, token: string) =>
    gatehouse.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization(caller.clientId, caller.secret ?? ''),
      },
      payload: new URLSearchParams({ token }).toString(),
    });

  it('pauses a caller that probes random tokens', async () => {
    const issued = await gatehouse.app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization(prober.clientId, prober.secret ?? ''),
      },
      payload: 'grant_type=client_credentials',
    });
    assert.equal(issued.statusCode, 200, issued.body);
    const ownToken = issued.json().access_token as string;

    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const response = await introspect(prober, randomBytes(32).toString('base64url'));
      assert.equal(response.statusCode, 200, `probe ${attempt} is answered`);
      assert.deepEqual(response.json(), { active: false });
    }
    const paused = await introspect(prober, ownToken);
    assert.equal(paused.statusCode, 429, 'the sixth introspection after five misses is refused');
    assert.equal(paused.json().error, 'slow_down');
    assert.ok(Number(paused.headers['retry-after']) > 0, 'Retry-After says when to come back');

    const other = await introspect(bystander, randomBytes(32).toString('base64url'));
    assert.equal(other.statusCode, 200, 'another caller is not paused');

    gatehouse.clock.advance(60);
    const resumed = await introspect(prober, ownToken);
    assert.equal(resumed.statusCode, 200, 'the caller resumes in the next minute');
    assert.equal(resumed.json().active, true, 'its own token is active');
  });

  it('does not count active tokens', async () => {
    gatehouse.clock.advance(60);
    const issued = await gatehouse.app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization(bystander.clientId, bystander.secret ?? ''),
      },
      payload: 'grant_type=client_credentials',
    });
    const token = issued.json().access_token as string;
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const response = await introspect(bystander, token);
      assert.equal(response.statusCode, 200, `introspection ${attempt} of a live token`);
      assert.equal(response.json().active, true);
    }
  });
});
