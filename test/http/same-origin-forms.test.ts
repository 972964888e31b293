import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

describe('cross-origin form posts', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient();
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  /** Loads the login page of a fresh authorization request and returns its form fields. */
  async function loginForm(browser: BrowserSession): Promise<Record<string, string>> {
    const loginLocation = locationOf(await browser.get(authorizationUrl(client).url));
    const page = await browser.get(loginLocation);
    return {
      csrf_token: formValue(page.body, 'csrf_token'),
      request: formValue(page.body, 'request'),
      username: user.username,
      password: user.password,
    };
  }

  function postLogin(browser: BrowserSession, form: Record<string, string>, headers: Record<string, string>) {
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return gatehouse.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
      payload: new URLSearchParams(form).toString(),
    });
  }

  it('rejects a login post from another site', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const response = await postLogin(browser, await loginForm(browser), { origin: 'https://attacker.example.com' });
    assert.equal(response.statusCode, 403, 'a login form posted from another origin is rejected');
    assert.equal(response.headers.location, undefined, 'nothing is redirected');
    assert.equal(
      response.cookies.find((cookie) => cookie.name === 'gatehouse_session'),
      undefined,
      'no session cookie is set',
    );
  });

  it('rejects a cross-site fetch with a null origin', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const response = await postLogin(browser, await loginForm(browser), { origin: 'null', 'sec-fetch-site': 'cross-site' });
    assert.equal(response.statusCode, 403, 'Sec-Fetch-Site: cross-site is rejected whatever the Origin');
  });

  it('rejects a post from a sibling host', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const response = await postLogin(browser, await loginForm(browser), { origin: 'null', 'sec-fetch-site': 'same-site' });
    assert.equal(response.statusCode, 403, 'Sec-Fetch-Site: same-site is another origin');
  });

  it('accepts a null origin from the same origin', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const response = await postLogin(browser, await loginForm(browser), { origin: 'null', 'sec-fetch-site': 'same-origin' });
    assert.equal(response.statusCode, 303, 'under Referrer-Policy: no-referrer browsers send Origin: null for their own forms');
  });

  it('accepts a login post from the issuer origin', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const response = await postLogin(browser, await loginForm(browser), { origin: new URL(gatehouse.config.issuer).origin });
    assert.equal(response.statusCode, 303, 'the same-origin login goes on to the consent page');
  });

  it('accepts an authorization request posted by a client', async () => {
    const request = new URL(authorizationUrl(client).url, 'http://localhost');
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/authorize',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://client1.example.com' },
      payload: request.searchParams.toString(),
    });
    assert.equal(response.statusCode, 303, 'clients may post authorization requests from their own site');
    assert.match(locationOf(response), /^\/login\?request=/);
  });
});
