import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { authorize } from '../support/flows.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse.js';

describe('HEAD requests', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse();
  });
  after(() => gatehouse.stop());

  it('never end a session at the end-session endpoint', async () => {
    const client = await gatehouse.createClient();
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, user);
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');

    const head = await gatehouse.app.inject({ method: 'HEAD', url: `/end-session?client_id=${client.clientId}`, headers: { cookie } });
    assert.ok(head.statusCode === 404 || head.statusCode === 405, `HEAD is not served, got ${head.statusCode}`);
    assert.equal(head.headers['set-cookie'], undefined, 'no cookie is cleared');

    const home = await browser.get('/');
    assert.match(home.body, new RegExp(`<strong>${user.name}</strong>`), 'the session still stands');
  });
});
