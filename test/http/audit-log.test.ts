import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, postAuthenticatedForm, revoke } from '../support/lifecycle.js';
import { dumpTable } from '../support/rows.js';

interface AuditRow {
  occurred_at: number;
  event_type: string;
  client_id: string | null;
  user_id: string | null;
  detail: string | null;
}

describe('audit log', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  async function eventsSince(count: number): Promise<AuditRow[]> {
    const rows = await gatehouse.database.db.selectFrom('audit_events').selectAll().orderBy('occurred_at').execute();
    return rows.slice(count);
  }

  async function eventCount(): Promise<number> {
    return (await gatehouse.database.db.selectFrom('audit_events').select('id').execute()).length;
  }

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Audited App' });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('records issued, refreshed and revoked tokens', async () => {
    const before = await eventCount();
    const issued = await exchangeCode(gatehouse, client, await authorize(browser, client, user, { scope: 'profile' }));
    gatehouse.clock.advance(1);
    const refreshed = await requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: issued.json().refresh_token });
    gatehouse.clock.advance(1);
    await revoke(gatehouse, clientCredentials(client), { token: refreshed.json().refresh_token });

    const events = await eventsSince(before);
    assert.deepEqual(events.map((event) => event.event_type), ['token_issued', 'token_refreshed', 'token_revoked'], 'three events in order');
    for (const event of events) {
      assert.equal(event.client_id, client.clientId, `${event.event_type}: the client`);
      assert.equal(event.user_id, user.id, `${event.event_type}: the user`);
    }
    assert.equal(events[0]?.detail, 'authorization_code', 'the grant type of the issue');
    assert.equal(events[0]?.occurred_at, gatehouse.clock.now() - 2000, 'the time of the issue');
  });

  it('records failed client authentication', async () => {
    const before = await eventCount();
    const response = await requestToken(gatehouse, { ...client, secret: 'wrong-secret-value' }, { grant_type: 'client_credentials' });
    assert.equal(response.statusCode, 401, 'the request fails');
    await postAuthenticatedForm(gatehouse, '/revoke', { id: 'no-such-client', secret: 'another-wrong-secret' }, { token: 'x' });

    const events = await eventsSince(before);
    assert.deepEqual(events.map((event) => event.event_type), ['client_authentication_failed', 'client_authentication_failed'], 'two failures');
    assert.equal(events[0]?.client_id, client.clientId, 'the presented client id');
    assert.equal(events[1]?.client_id, 'no-such-client', 'an unknown presented id');
    assert.equal(events[0]?.user_id, null, 'no user');
  });

  it('stores no token or secret', async () => {
    const issued = await exchangeCode(gatehouse, client, await authorize(browser, client, user, { scope: 'profile' }));
    await requestToken(gatehouse, { ...client, secret: 'wrong-secret-value' }, { grant_type: 'client_credentials' });
    const table = await dumpTable(gatehouse, 'audit_events');
    for (const secret of [issued.json().access_token, issued.json().refresh_token, client.secret ?? '', 'wrong-secret-value']) {
      assert.ok(!table.includes(secret), 'the audit table does not contain a token or secret');
    }
  });
});

describe('audit log growth', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_CLIENT_AUTH_MAX_FAILURES: '2' } });
  });
  after(() => gatehouse.stop());

  const auditRows = () => gatehouse.database.db.selectFrom('audit_events').selectAll().execute();

  it('rejects an overlong client_id before authentication', async () => {
    const before = (await auditRows()).length;
    const response = await postAuthenticatedForm(gatehouse, '/token', { id: 'Z'.repeat(60_000), secret: undefined }, {
      grant_type: 'client_credentials',
      client_secret: 'x',
    });
    assert.equal(response.statusCode, 400, response.body.slice(0, 200));
    assert.equal(response.json().error, 'invalid_request', 'invalid_request for the parameter length');
    assert.equal((await auditRows()).length, before, 'nothing was recorded');
  });

  it('stores a short detail for a long Basic client id', async () => {
    const response = await postAuthenticatedForm(gatehouse, '/token', { id: 'Y'.repeat(6000), secret: 'x' }, {
      grant_type: 'client_credentials',
    });
    assert.equal(response.statusCode, 401, response.body.slice(0, 200));
    const row = (await auditRows()).find((event) => event.client_id?.startsWith('YYYY'));
    assert.ok(row !== undefined, 'the failure is recorded');
    assert.ok((row.client_id ?? '').length <= 256, 'the stored client id is cut');
    assert.ok((row.detail ?? '').length <= 512, `the stored detail is cut: ${(row.detail ?? '').length}`);
    assert.match(row.detail ?? '', /6000 characters/, 'the detail gives the real length');
  });

  it('stops storing failures of invented client ids', async () => {
    const before = (await auditRows()).length;
    for (let index = 0; index < 30; index += 1) {
      const response = await postAuthenticatedForm(gatehouse, '/token', { id: `invented-${index}`, secret: 'x' }, {
        grant_type: 'client_credentials',
      });
      assert.equal(response.statusCode, 401, `invented id ${index}: 401`);
    }
    const stored = (await auditRows()).length - before;
    // The budget is five times GATEHOUSE_CLIENT_AUTH_MAX_FAILURES per address and window; the
    // previous test spent one of it.
    assert.equal(stored, 10 - 1, 'the address stores failures up to its budget');
  });
});
