import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findGrantedScopes } from '../../src/storage/grants.js';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { countRows } from '../support/rows.js';

/** Starts an authorization request, logs in and returns the consent page's location and form fields. */
async function reachConsent(
  browser: BrowserSession,
  client: TestClient,
  user: TestUser,
  scope = 'profile email',
): Promise<{ location: string; state: string; csrfToken: string; requestId: string; html: string }> {
  const request = authorizationUrl(client, { scope });
  const started = await browser.get(request.url);
  let location = locationOf(started);
  if (location.startsWith('/login')) location = locationOf(await submitLogin(browser, location, user));
  assert.match(location, /^\/consent\?request=/, 'the request reaches the consent page');
  const page = await browser.get(location);
  assert.equal(page.statusCode, 200, 'the consent page loads');
  return {
    location,
    state: request.state,
    csrfToken: formValue(page.body, 'csrf_token'),
    requestId: formValue(page.body, 'request'),
    html: page.body,
  };
}

describe('consent', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse();
  });
  after(() => gatehouse.stop());

  it('denies with access_denied and records nothing', async () => {
    const client = await gatehouse.createClient({ name: 'Denied App' });
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, client, user);
    const codesBefore = await countRows(gatehouse, 'authorization_codes');

    const response = await browser.postForm('/consent', {
      csrf_token: consent.csrfToken,
      request: consent.requestId,
      decision: 'deny',
    });
    assert.equal(response.statusCode, 303, 'the denial redirects');
    const callback = new URL(locationOf(response));
    assert.equal(`${callback.origin}${callback.pathname}`, client.redirectUri, 'the denial goes to the client');
    assert.equal(callback.searchParams.get('error'), 'access_denied', 'the error is access_denied');
    assert.equal(callback.searchParams.get('state'), consent.state, 'the state comes back');
    assert.equal(callback.searchParams.get('iss'), gatehouse.config.issuer, 'iss names the issuer');
    assert.equal(callback.searchParams.has('code'), false, 'no code after a denial');

    assert.equal(await countRows(gatehouse, 'authorization_codes'), codesBefore, 'no code was stored');
    assert.equal(await findGrantedScopes(gatehouse.database.db, user.id, client.clientId), undefined, 'no grant was stored');
    const again = await browser.get(authorizationUrl(client, { scope: 'profile email' }).url);
    assert.match(locationOf(again), /^\/consent\?request=/, 'the next request shows the consent page again');
  });

  it('ends the request after a denial', async () => {
    const client = await gatehouse.createClient({ name: 'Deny Then Allow App' });
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, client, user);
    const form = { csrf_token: consent.csrfToken, request: consent.requestId };

    await browser.postForm('/consent', { ...form, decision: 'deny' });
    const allow = await browser.postForm('/consent', { ...form, decision: 'allow' });
    assert.equal(allow.statusCode, 400, 'Allow after Deny is rejected');
    assert.match(allow.body, /This request has ended/, 'the ended page is shown');
    assert.equal(allow.headers.location, undefined, 'no redirect');
    assert.equal(await findGrantedScopes(gatehouse.database.db, user.id, client.clientId), undefined, 'no grant was stored');
  });

  it('remembers the authorization on Allow', async () => {
    const client = await gatehouse.createClient({ name: 'Allowed App' });
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, client, user);

    const response = await browser.postForm('/consent', {
      csrf_token: consent.csrfToken,
      request: consent.requestId,
      decision: 'allow',
    });
    const callback = new URL(locationOf(response));
    assert.ok(callback.searchParams.has('code'), 'Allow sends a code');
    assert.equal(callback.searchParams.get('state'), consent.state, 'the state comes back');
    assert.deepEqual(
      await findGrantedScopes(gatehouse.database.db, user.id, client.clientId),
      ['profile', 'email'],
      'the allowed scopes are remembered',
    );

    const again = await browser.get(authorizationUrl(client, { scope: 'email' }).url);
    assert.equal(again.statusCode, 302, 'a covered request skips the consent page');
    assert.ok(new URL(locationOf(again)).searchParams.has('code'), 'a covered request gets a code at once');
  });

  it('gives one code for concurrent Allows', async () => {
    const client = await gatehouse.createClient({ name: 'Double Submit App' });
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, client, user);
    const codesBefore = await countRows(gatehouse, 'authorization_codes');
    const form = { csrf_token: consent.csrfToken, request: consent.requestId, decision: 'allow' };

    const responses = await Promise.all([browser.postForm('/consent', form), browser.postForm('/consent', form)]);
    const withCode = responses.filter((response) => {
      const location = response.headers.location;
      return typeof location === 'string' && new URL(location, 'http://localhost').searchParams.has('code');
    });
    const ended = responses.filter((response) => response.statusCode === 400 && /This request has ended/.test(response.body));
    assert.equal(withCode.length, 1, 'exactly one submission gets a code');
    assert.equal(ended.length, 1, 'the other submission sees the ended page');
    assert.equal(await countRows(gatehouse, 'authorization_codes'), codesBefore + 1, 'exactly one code was stored');
  });

  it('rejects a wrong CSRF token', async () => {
    const client = await gatehouse.createClient({ name: 'CSRF App' });
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, client, user);
    const codesBefore = await countRows(gatehouse, 'authorization_codes');

    for (const csrfToken of [undefined, 'A'.repeat(43)]) {
      const form: Record<string, string> = { request: consent.requestId, decision: 'allow' };
      if (csrfToken !== undefined) form.csrf_token = csrfToken;
      const response = await browser.postForm('/consent', form);
      assert.equal(response.statusCode, 403, `token ${String(csrfToken)}: status 403`);
      assert.equal(response.headers.location, undefined, `token ${String(csrfToken)}: no redirect`);
    }
    assert.equal(await countRows(gatehouse, 'authorization_codes'), codesBefore, 'no code was stored');
    assert.equal(await findGrantedScopes(gatehouse.database.db, user.id, client.clientId), undefined, 'no grant was stored');

    const allowed = await browser.postForm('/consent', {
      csrf_token: consent.csrfToken,
      request: consent.requestId,
      decision: 'allow',
    });
    assert.ok(new URL(locationOf(allowed)).searchParams.has('code'), 'the right token still works afterwards');
  });

  it('describes the scopes on the page', async () => {
    const client = await gatehouse.createClient({ name: 'Scope Text App' });
    const user = await gatehouse.createUser();
    const consent = await reachConsent(new BrowserSession(gatehouse.app), client, user, 'profile email api:read');
    assert.match(consent.html, /See your name and username/, 'profile is described');
    assert.match(consent.html, /See your email address/, 'email is described');
    assert.match(consent.html, /Use the &#39;api:read&#39; permission/, 'a custom scope is named');
    assert.match(consent.html, /Scope Text App/, 'the client name is shown');
    assert.match(consent.html, /https:\/\/client\d+\.example\.com/, 'the redirect origin is shown');
  });

  it('escapes markup in the client name', async () => {
    const name = '<script>alert("x")</script><img src=x onerror=alert(1)> & Co';
    const client = await gatehouse.createClient({ name });
    const user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const started = await browser.get(authorizationUrl(client).url);
    const loginPage = await browser.get(locationOf(started));
    const consent = await reachConsent(browser, client, user);

    for (const [page, html] of [
      ['login', loginPage.body],
      ['consent', consent.html],
    ] as const) {
      assert.doesNotMatch(html, /<script>/, `the ${page} page has no script element from the name`);
      assert.doesNotMatch(html, /<img/, `the ${page} page has no img element from the name`);
      assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/, `the ${page} page shows the name escaped`);
      assert.match(html, / &amp; Co/, `the ${page} page escapes the ampersand`);
    }
  });
});
