import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, createPkce, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, submitConsent, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { countRows } from '../support/rows.js';

/** Builds /authorize?... from exact entries, so tests can send repeated or odd parameters. */
function rawAuthorizationUrl(entries: Array<[string, string]>): string {
  return `/authorize?${new URLSearchParams(entries)}`;
}

/** Returns the entries of a valid request, with overrides (undefined removes a parameter). */
function requestEntries(
  client: TestClient,
  overrides: Record<string, string | undefined> = {},
  extra: Array<[string, string]> = [],
): Array<[string, string]> {
  const pkce = createPkce();
  const base: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'profile email',
    state: 'state-abc',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(base)) if (value !== undefined) entries.push([name, value]);
  return [...entries, ...extra];
}

/** Asserts a redirect to the client with an error, the state and iss, and no code. */
function assertErrorRedirect(
  gatehouse: TestGatehouse,
  response: LightMyRequestResponse,
  expected: { redirectUri: string; error: string; state: string | undefined; status?: number },
): URL {
  assert.equal(response.statusCode, expected.status ?? 302, `the error is redirected: ${response.body.slice(0, 200)}`);
  const location = new URL(locationOf(response));
  assert.equal(`${location.origin}${location.pathname}`, expected.redirectUri, 'the redirect goes to the registered URI');
  assert.equal(location.searchParams.get('error'), expected.error, 'the error code');
  assert.ok((location.searchParams.get('error_description') ?? '') !== '', 'an error_description is present');
  assert.equal(location.searchParams.get('state') ?? undefined, expected.state, 'the state is returned');
  assert.equal(location.searchParams.get('iss'), gatehouse.config.issuer, 'iss names the issuer (RFC 9207)');
  assert.equal(location.searchParams.has('code'), false, 'no code in an error redirect');
  return location;
}

/** Asserts Gatehouse's own 400 error page with no redirect. */
function assertErrorPage(response: LightMyRequestResponse, message: string): void {
  assert.equal(response.statusCode, 400, `${message}: status 400`);
  assert.equal(response.headers.location, undefined, `${message}: no Location header`);
  assert.match(String(response.headers['content-type']), /^text\/html/, `${message}: an HTML page`);
  assert.match(response.body, /Invalid authorization request/, `${message}: the error page title`);
  assert.match(response.body, /<code>invalid_request<\/code>/, `${message}: the error code on the page`);
}

describe('authorization endpoint', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let publicClient: TestClient;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Confidential App' });
    publicClient = await gatehouse.createClient({ name: 'Native App', public: true, redirectUris: ['http://127.0.0.1/callback'] });
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  describe('untrusted requests', () => {
    const clientIdCases: Array<{ name: string; overrides: (client: TestClient) => Record<string, string | undefined> }> = [
      { name: 'missing client_id', overrides: () => ({ client_id: undefined }) },
      { name: 'empty client_id', overrides: () => ({ client_id: '' }) },
      { name: 'unknown client_id', overrides: () => ({ client_id: 'no-such-client' }) },
      { name: 'overlong client_id', overrides: () => ({ client_id: 'c'.repeat(5000) }) },
    ];
    for (const { name, overrides } of clientIdCases) {
      it(`rejects ${name} without redirect`, async () => {
        const pendingBefore = await countRows(gatehouse, 'authorization_requests');
        const response = await gatehouse.app.inject({
          method: 'GET',
          url: rawAuthorizationUrl(requestEntries(client, overrides(client))),
        });
        assertErrorPage(response, name);
        assert.equal(await countRows(gatehouse, 'authorization_requests'), pendingBefore, `${name}: no pending request stored`);
      });
    }

    const redirectUriCases: Array<{ name: string; entries: (client: TestClient) => Array<[string, string]> }> = [
      { name: 'trailing slash', entries: (c) => requestEntries(c, { redirect_uri: `${c.redirectUri}/` }) },
      { name: 'extra path', entries: (c) => requestEntries(c, { redirect_uri: `${c.redirectUri}/more` }) },
      { name: 'added query', entries: (c) => requestEntries(c, { redirect_uri: `${c.redirectUri}?x=1` }) },
      { name: 'fragment', entries: (c) => requestEntries(c, { redirect_uri: `${c.redirectUri}#x` }) },
      { name: 'upper-case host', entries: (c) => requestEntries(c, { redirect_uri: c.redirectUri.replace('client', 'CLIENT') }) },
      { name: 'different port', entries: (c) => requestEntries(c, { redirect_uri: c.redirectUri.replace('.com/', '.com:8443/') }) },
      { name: 'http scheme', entries: (c) => requestEntries(c, { redirect_uri: c.redirectUri.replace('https:', 'http:') }) },
      { name: 'another host', entries: (c) => requestEntries(c, { redirect_uri: 'https://attacker.example.com/callback' }) },
      { name: 'javascript URI', entries: (c) => requestEntries(c, { redirect_uri: 'javascript:alert(1)' }) },
      { name: 'repeated redirect_uri', entries: (c) => requestEntries(c, {}, [['redirect_uri', c.redirectUri]]) },
      { name: 'repeated client_id', entries: (c) => requestEntries(c, {}, [['client_id', c.clientId]]) },
      {
        name: "another client's redirect_uri",
        entries: (c) => requestEntries(c, { redirect_uri: 'http://127.0.0.1/callback' }),
      },
    ];
    for (const { name, entries } of redirectUriCases) {
      it(`rejects ${name} without redirect`, async () => {
        const codesBefore = await countRows(gatehouse, 'authorization_codes');
        const response = await gatehouse.app.inject({ method: 'GET', url: rawAuthorizationUrl(entries(client)) });
        assertErrorPage(response, name);
        assert.equal(await countRows(gatehouse, 'authorization_codes'), codesBefore, `${name}: no code issued`);
      });
    }

    it('limits loopback any-port to public clients', async () => {
      const response = await gatehouse.app.inject({
        method: 'GET',
        url: rawAuthorizationUrl(requestEntries(publicClient, { redirect_uri: 'http://127.0.0.1:51000/callback' })),
      });
      assert.equal(response.statusCode, 303, 'a public client may use any loopback port');
      assert.match(locationOf(response), /^\/login\?request=/, 'the request goes on to the login page');

      const confidentialLoopback = await gatehouse.createClient({ redirectUris: ['http://127.0.0.1/callback'] });
      const rejected = await gatehouse.app.inject({
        method: 'GET',
        url: rawAuthorizationUrl(requestEntries(confidentialLoopback, { redirect_uri: 'http://127.0.0.1:51000/callback' })),
      });
      assertErrorPage(rejected, 'a confidential client on another loopback port');
    });
  });

  describe('redirected errors', () => {
    const cases: Array<{
      name: string;
      entries: (client: TestClient, publicClient: TestClient) => Array<[string, string]>;
      useClient: 'confidential' | 'public';
      error: string;
    }> = [
      { name: 'response_type token', entries: (c) => requestEntries(c, { response_type: 'token' }), useClient: 'confidential', error: 'unsupported_response_type' },
      { name: 'missing response_type', entries: (c) => requestEntries(c, { response_type: undefined }), useClient: 'confidential', error: 'invalid_request' },
      {
        name: 'plain code_challenge_method',
        entries: (c) => requestEntries(c, { code_challenge: 'p'.repeat(43), code_challenge_method: 'plain' }),
        useClient: 'confidential',
        error: 'invalid_request',
      },
      {
        name: 'missing code_challenge_method',
        entries: (c) => requestEntries(c, { code_challenge_method: undefined }),
        useClient: 'confidential',
        error: 'invalid_request',
      },
      {
        name: 'confidential client without PKCE',
        entries: (c) => requestEntries(c, { code_challenge: undefined, code_challenge_method: undefined }),
        useClient: 'confidential',
        error: 'invalid_request',
      },
      {
        name: 'public client without PKCE',
        entries: (_c, p) => requestEntries(p, { code_challenge: undefined, code_challenge_method: undefined }),
        useClient: 'public',
        error: 'invalid_request',
      },
      { name: 'repeated scope', entries: (c) => requestEntries(c, {}, [['scope', 'profile']]), useClient: 'confidential', error: 'invalid_request' },
      {
        name: 'repeated response_type',
        entries: (c) => requestEntries(c, {}, [['response_type', 'code']]),
        useClient: 'confidential',
        error: 'invalid_request',
      },
      { name: 'missing scope', entries: (c) => requestEntries(c, { scope: undefined }), useClient: 'confidential', error: 'invalid_scope' },
      { name: 'disallowed scope', entries: (c) => requestEntries(c, { scope: 'profile admin' }), useClient: 'confidential', error: 'invalid_scope' },
      { name: 'prompt none with login', entries: (c) => requestEntries(c, { prompt: 'none login' }), useClient: 'confidential', error: 'invalid_request' },
      { name: 'request object', entries: (c) => requestEntries(c, { request: 'e30.e30.' }), useClient: 'confidential', error: 'request_not_supported' },
    ];
    for (const { name, entries, useClient, error } of cases) {
      it(`redirects ${name}`, async () => {
        const target = useClient === 'public' ? publicClient : client;
        const pendingBefore = await countRows(gatehouse, 'authorization_requests');
        const response = await gatehouse.app.inject({ method: 'GET', url: rawAuthorizationUrl(entries(client, publicClient)) });
        assertErrorRedirect(gatehouse, response, { redirectUri: target.redirectUri, error, state: 'state-abc' });
        assert.equal(await countRows(gatehouse, 'authorization_requests'), pendingBefore, `${name}: no pending request stored`);
      });
    }

    it('keeps the registered query in error redirects', async () => {
      const withQuery = await gatehouse.createClient({ redirectUris: ['https://tenant.example.com/callback?tenant=blue'] });
      const response = await gatehouse.app.inject({
        method: 'GET',
        url: rawAuthorizationUrl(requestEntries(withQuery, { response_type: 'token' })),
      });
      assert.equal(response.statusCode, 302, 'the error is redirected');
      const location = new URL(locationOf(response));
      assert.equal(location.searchParams.get('tenant'), 'blue', 'the registered query parameter stays');
      assert.equal(location.searchParams.get('error'), 'unsupported_response_type', 'the error is added');
    });

    it('percent-encodes CR and LF in state', async () => {
      const state = 'line1\r\nSet-Cookie: injected=1\r\n';
      const response = await gatehouse.app.inject({
        method: 'GET',
        url: rawAuthorizationUrl(requestEntries(client, { state, response_type: 'token' })),
      });
      const header = locationOf(response);
      assert.doesNotMatch(header, /[\r\n]/, 'the Location header has no raw CR or LF');
      assert.match(header, /%0D%0A/, 'CR and LF are percent-encoded');
      assert.equal(response.headers['set-cookie'], undefined, 'no cookie is set by the state');
      assert.equal(new URL(header).searchParams.get('state'), state, 'the state decodes to the original value');
    });
  });

  describe('POST requests', () => {
    it('accepts a form body like GET', async () => {
      const browser = new BrowserSession(gatehouse.app);
      const response = await browser.postForm('/authorize', Object.fromEntries(requestEntries(client)));
      assert.equal(response.statusCode, 303, 'a POST continues with 303');
      const loginLocation = locationOf(response);
      assert.match(loginLocation, /^\/login\?request=/, 'the request goes on to the login page');

      const afterLogin = await submitLogin(browser, loginLocation, user);
      const afterConsent = await submitConsent(browser, locationOf(afterLogin), 'allow');
      const callback = new URL(locationOf(afterConsent));
      assert.equal(callback.searchParams.get('state'), 'state-abc', 'the state comes back');
      assert.ok(callback.searchParams.has('code'), 'the POST request ends with a code');
    });

    // OpenID Connect Core section 3.1.2.1: POST uses form serialization, never JSON.
    it('rejects bodies other than forms', async () => {
      const entries = Object.fromEntries(requestEntries(client));
      const bodies: Array<[string, string]> = [
        ['application/json', JSON.stringify(entries)],
        ['text/plain', new URLSearchParams(entries).toString()],
      ];
      for (const [contentType, payload] of bodies) {
        for (const url of ['/authorize', '/end-session']) {
          const requestsBefore = await countRows(gatehouse, 'authorization_requests');
          const response = await gatehouse.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });
          assert.equal(response.statusCode, 400, `${contentType} at ${url}: 400`);
          assert.equal(response.headers.location, undefined, `${contentType} at ${url}: no redirect`);
          assert.match(response.body, /application\/x-www-form-urlencoded/, `${contentType} at ${url}: the page names the form type`);
          assert.equal(await countRows(gatehouse, 'authorization_requests'), requestsBefore, `${contentType} at ${url}: nothing stored`);
        }
      }
    });

    it('redirects POST errors with 303', async () => {
      const response = await gatehouse.app.inject({
        method: 'POST',
        url: '/authorize',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(requestEntries(client, { response_type: 'token' })).toString(),
      });
      assertErrorRedirect(gatehouse, response, {
        redirectUri: client.redirectUri,
        error: 'unsupported_response_type',
        state: 'state-abc',
        status: 303,
      });
    });
  });

  describe('prompt', () => {
    it('gives login_required for prompt=none without session', async () => {
      const browser = new BrowserSession(gatehouse.app);
      const request = authorizationUrl(client, { prompt: 'none' });
      const response = await browser.get(request.url);
      assertErrorRedirect(gatehouse, response, { redirectUri: client.redirectUri, error: 'login_required', state: request.state });
    });

    it('gives consent_required for prompt=none without authorization', async () => {
      const fresh = await gatehouse.createClient({ name: 'Never Allowed' });
      const browser = new BrowserSession(gatehouse.app);
      const login = await submitLogin(browser, '/login', user);
      assert.equal(login.statusCode, 303, 'the login without a pending request succeeds');

      const request = authorizationUrl(fresh, { prompt: 'none' });
      const response = await browser.get(request.url);
      assertErrorRedirect(gatehouse, response, { redirectUri: fresh.redirectUri, error: 'consent_required', state: request.state });
    });

    it('issues a code for prompt=none when remembered', async () => {
      const browser = new BrowserSession(gatehouse.app);
      await authorize(browser, client, user, { scope: 'profile' });
      const request = authorizationUrl(client, { scope: 'profile', prompt: 'none' });
      const response = await browser.get(request.url);
      assert.equal(response.statusCode, 302, 'the code is sent without any page');
      const callback = new URL(locationOf(response));
      assert.ok(callback.searchParams.has('code'), 'the redirect carries a code');
      assert.equal(callback.searchParams.get('iss'), gatehouse.config.issuer, 'the redirect carries iss');
    });

    it('forces the login page for prompt=login', async () => {
      const browser = new BrowserSession(gatehouse.app);
      await authorize(browser, client, user, { scope: 'profile' });

      const request = authorizationUrl(client, { scope: 'profile', prompt: 'login' });
      const response = await browser.get(request.url);
      assert.equal(response.statusCode, 303, 'the browser is sent to a page');
      const loginLocation = locationOf(response);
      assert.match(loginLocation, /^\/login\?request=/, 'the login page is shown despite the session');

      const afterLogin = await submitLogin(browser, loginLocation, user);
      const callback = new URL(locationOf(afterLogin));
      assert.ok(callback.searchParams.has('code'), 'after the login the remembered authorization gives a code');
    });

    it('shows consent for prompt=consent when remembered', async () => {
      const browser = new BrowserSession(gatehouse.app);
      await authorize(browser, client, user, { scope: 'profile' });

      const response = await browser.get(authorizationUrl(client, { scope: 'profile', prompt: 'consent' }).url);
      assert.equal(response.statusCode, 303, 'the browser is sent to a page');
      assert.match(locationOf(response), /^\/consent\?request=/, 'the consent page is shown');
    });

    it('shows consent again for a wider scope', async () => {
      const wider = await gatehouse.createClient({ name: 'Wider Scope App' });
      const browser = new BrowserSession(gatehouse.app);
      await authorize(browser, wider, user, { scope: 'profile' });

      const same = await browser.get(authorizationUrl(wider, { scope: 'profile' }).url);
      assert.equal(same.statusCode, 302, 'the remembered scope gives a code at once');
      assert.ok(new URL(locationOf(same)).searchParams.has('code'), 'the remembered scope gives a code');

      const response = await browser.get(authorizationUrl(wider, { scope: 'profile email' }).url);
      assert.equal(response.statusCode, 303, 'the wider scope needs a page');
      assert.match(locationOf(response), /^\/consent\?request=/, 'the consent page is shown for the wider scope');
    });
  });
});
