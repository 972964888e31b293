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

  // RFC 9110 section 9.3.2: HEAD is GET without the body, served where GET has no side effects.
  it('serve the documents without side effects', async () => {
    for (const url of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks', '/assets/gatehouse.css']) {
      const get = await gatehouse.app.inject({ method: 'GET', url });
      const head = await gatehouse.app.inject({ method: 'HEAD', url });
      assert.equal(head.statusCode, 200, `${url}: HEAD is served`);
      assert.equal(head.body, '', `${url}: no body`);
      assert.equal(head.headers['content-type'], get.headers['content-type'], `${url}: the GET content type`);
      assert.equal(head.headers['cache-control'], get.headers['cache-control'], `${url}: the GET caching`);
    }
  });

  it('stay off the endpoints with side effects', async () => {
    for (const url of ['/authorize', '/login', '/consent', '/end-session', '/device', '/connected-apps', '/userinfo', '/']) {
      const head = await gatehouse.app.inject({ method: 'HEAD', url });
      assert.equal(head.statusCode, 405, `${url}: HEAD is not served`);
      assert.doesNotMatch(String(head.headers.allow), /HEAD/, `${url}: Allow does not offer HEAD`);
    }
  });

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
