import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import {
  assertErrorPage,
  authorizePath,
  authorizeUrlFor,
  countIssued,
  requestEntries,
  startSecurityFixtures,
  type SecurityFixtures,
} from '../support/authorization-fixtures.js';
import { authorize } from '../support/flows.js';
import { countRows } from '../support/rows.js';

const REGISTERED = 'https://app.example.com/cb';

/** Redirect URIs that differ from https://app.example.com/cb and must never match it. */
const REDIRECT_URI_VARIANTS = [
  'https://app.example.com/cb/extra',
  'https://app.example.com/',
  'https://app.example.com/cb/',
  'https://app.example.com/cb?x=1',
  'https://app.example.com/cb?code=attacker&state=x&iss=x',
  'https://app.example.com/cb#x',
  'https://app.example.com.evil.example/cb',
  'https://evil.example/app.example.com/cb',
  'https://app.example.com@evil.example/cb',
  'https://app.example.com%40evil.example/cb',
  'https://x@app.example.com@evil.example/cb',
  'https://app.example.com\\@evil.example/cb',
  'https:/\\evil.example/cb',
  'http://app.example.com/cb',
  'https://app.example.com:443/cb',
  'https://app.example.com:8443/cb',
  'https://APP.example.com/cb',
  'https://app.example.com/CB',
  'HTTPS://app.example.com/cb',
  'https://app.example.com/cb/../evil',
  'https://app.example.com/cb/%2e%2e/evil',
  'https://app.example.com/cb/..;/evil',
  'https://app.example.com/cb%2F..%2Fevil',
  'https://app.example.com/cb;jsessionid=x',
  'https://app.example.com/cb ',
  '\thttps://app.example.com/cb',
  'https://app.example.com/cb\r\nX:y',
  'https://\u0430pp.example.com/cb',
  'https://\uff41pp.example.com/cb',
  'javascript:alert(1)//https://app.example.com/cb',
  'data:text/html,x',
];

describe('authorization endpoint: client and redirect URI', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures();
  });
  after(() => fixtures.gatehouse.stop());

  async function get(url: string, browser?: BrowserSession) {
    return browser === undefined ? fixtures.gatehouse.app.inject({ method: 'GET', url }) : browser.get(url);
  }

  /** Asserts the error page and that neither a pending request nor a code was stored. */
  async function assertRejectedOnPage(url: string, label: string, browser?: BrowserSession): Promise<void> {
    const pendingBefore = await countRows(fixtures.gatehouse, 'authorization_requests');
    const issuedBefore = await countIssued(fixtures.gatehouse);
    const response = await get(url, browser);
    assertErrorPage(response, label);
    assert.equal(await countRows(fixtures.gatehouse, 'authorization_requests'), pendingBefore, `${label}: no pending request`);
    assert.equal(await countIssued(fixtures.gatehouse), issuedBefore, `${label}: no code issued`);
  }

  // RFC 6749 section 4.1.2.1: an unknown client gets no redirect.
  it('shows an error page for unknown or missing client_id', async () => {
    const { conf1 } = fixtures;
    await assertRejectedOnPage(authorizeUrlFor(conf1, { client_id: 'does-not-exist' }), 'unknown client_id');
    await assertRejectedOnPage(authorizeUrlFor(conf1, { client_id: undefined }), 'missing client_id');
    await assertRejectedOnPage(authorizeUrlFor(conf1, { client_id: '' }), 'empty client_id');
  });

  // RFC 6749 section 3.1.2, RFC 9700 section 4.1.3: exact redirect URI matching.
  it('matches redirect URIs by exact string only', async () => {
    const { conf1 } = fixtures;
    for (const variant of REDIRECT_URI_VARIANTS) {
      await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: variant }), JSON.stringify(variant));
    }
  });

  // Host case is compared like the rest of the URI: as a plain string, never folded.
  it('treats host case as significant', async () => {
    await assertRejectedOnPage(authorizeUrlFor(fixtures.conf1, { redirect_uri: 'https://App.Example.Com/cb' }), 'mixed-case host');
  });

  it('accepts the registered redirect URI', async () => {
    const response = await get(authorizeUrlFor(fixtures.conf1, { redirect_uri: REGISTERED }));
    assert.equal(response.statusCode, 303, response.body.slice(0, 200));
    assert.match(locationOf(response), /^\/login\?request=/, 'the user is sent to the login page');
  });

  // OpenID Connect Core section 3.1.2.1: redirect_uri is required in authentication requests.
  it('requires redirect_uri for OpenID Connect requests', async () => {
    await assertRejectedOnPage(authorizeUrlFor(fixtures.conf1, { redirect_uri: undefined }), 'openid without redirect_uri');
  });

  // RFC 6749 section 3.1.2.3: without redirect_uri, only a single registered URI may be used.
  it('defaults the redirect URI only for one registration', async () => {
    const { gatehouse, conf1 } = fixtures;
    const single = await get(authorizeUrlFor(conf1, { redirect_uri: undefined, scope: 'api:read' }));
    assert.equal(single.statusCode, 303, single.body.slice(0, 200));
    assert.match(locationOf(single), /^\/login\?request=/, 'plain OAuth with one registered URI proceeds');

    const twoUris = await gatehouse.createClient({
      name: 'Two Callbacks',
      redirectUris: ['https://two.example.com/a', 'https://two.example.com/b'],
      scopes: ['openid', 'api:read'],
    });
    await assertRejectedOnPage(authorizeUrlFor(twoUris, { redirect_uri: undefined, scope: 'api:read' }), 'two URIs, plain OAuth');
    await assertRejectedOnPage(authorizeUrlFor(twoUris, { redirect_uri: undefined }), 'two URIs, OpenID Connect');
  });

  // RFC 8252 section 7.3: only the port of a loopback IP literal may vary, for native clients.
  it('lets only the loopback port vary', async () => {
    const { conf1, nat1 } = fixtures;
    const accepted = await get(authorizeUrlFor(nat1, { redirect_uri: 'http://127.0.0.1:51004/cb' }));
    assert.equal(accepted.statusCode, 303, accepted.body.slice(0, 200));
    assert.match(locationOf(accepted), /^\/login\?request=/);

    const rejected = [
      'http://127.0.0.1:51004/cb?x=1',
      'http://127.0.0.1:51004/other',
      'http://localhost:51004/cb',
      'http://127.0.0.2:51004/cb',
      'https://127.0.0.1:51004/cb',
    ];
    for (const uri of rejected) await assertRejectedOnPage(authorizeUrlFor(nat1, { redirect_uri: uri }), `native ${uri}`);
    await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: 'https://app.example.com:9999/cb' }), 'port on conf1');
  });

  it("rejects another client's redirect URI", async () => {
    const { conf1, conf2 } = fixtures;
    await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: conf2.redirectUri }), 'conf2 URI for conf1');
  });

  // RFC 6749 section 4.1.2.1: the redirect URI is verified before any other error is reported.
  it('never redirects errors to an unverified URI', async () => {
    const { conf1 } = fixtures;
    const evil = 'https://evil.example/cb';
    await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: evil, prompt: 'none' }), 'prompt=none logged out');
    await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: evil, response_type: 'bogus' }), 'bad response_type');
    await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: evil, scope: 'unknown' }), 'unknown scope');
    await assertRejectedOnPage(authorizeUrlFor(conf1, { redirect_uri: evil, code_challenge: undefined }), 'no PKCE');
    const repeated = requestEntries(conf1, { redirect_uri: evil }).entries;
    repeated.push(['state', 'second'], ['scope', 'openid']);
    await assertRejectedOnPage(authorizePath(repeated), 'repeated parameters');
  });

  // A repeated redirect_uri or client_id leaves nothing verified to redirect to.
  it('shows an error page for repeated client_id or redirect_uri', async () => {
    const { conf1, conf2 } = fixtures;
    const twoRedirects = requestEntries(conf1).entries;
    twoRedirects.push(['redirect_uri', REGISTERED]);
    await assertRejectedOnPage(authorizePath(twoRedirects), 'repeated redirect_uri');
    const twoClients = requestEntries(conf1).entries;
    twoClients.push(['client_id', conf2.clientId]);
    await assertRejectedOnPage(authorizePath(twoClients), 'repeated client_id');
  });

  it('escapes request values on the error page', async () => {
    const { conf1 } = fixtures;
    const cases = [
      authorizeUrlFor(conf1, { redirect_uri: 'https://evil.example/"><script>alert(1)</script>' }),
      authorizeUrlFor(conf1, { client_id: '<img src=x onerror=alert(1)>' }),
    ];
    for (const url of cases) {
      const response = await get(url);
      assertErrorPage(response, url);
      assert.equal(response.body.includes('<script>alert(1)'), false, 'no script element from the request');
      assert.equal(response.body.includes('<img src=x'), false, 'no img element from the request');
      assert.equal(response.body.includes('<script'), false, 'the page has no script element at all');
      assert.match(String(response.headers['content-security-policy']), /default-src 'none'/, 'a CSP is sent');
    }
  });

  // RFC 9700 section 2.6: the authorization endpoint is not for cross-origin scripts.
  it('sends no CORS headers from /authorize', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, conf1, alice, { scope: 'openid api:read' });
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');

    const issuedBefore = await countIssued(gatehouse);
    const simple = await gatehouse.app.inject({
      method: 'GET',
      url: authorizeUrlFor(conf1),
      headers: { origin: 'https://evil.example', cookie },
    });
    assert.equal(simple.headers['access-control-allow-origin'], undefined, 'GET: no Access-Control-Allow-Origin');
    assert.equal(simple.headers['access-control-allow-credentials'], undefined, 'GET: no Access-Control-Allow-Credentials');

    const preflight = await gatehouse.app.inject({
      method: 'OPTIONS',
      url: authorizeUrlFor(conf1),
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined, 'preflight: no Access-Control-Allow-Origin');
    assert.equal(preflight.headers['access-control-allow-methods'], undefined, 'preflight: no Access-Control-Allow-Methods');
    // The server cannot tell this GET from a top-level navigation, so it may issue a code. A script
    // on the other origin cannot read the response without CORS headers.
    assert.ok((await countIssued(gatehouse)) <= issuedBefore + 1, 'at most the one code of the GET');
  });

  // Clients are registered by operators only, through the command line.
  it('offers no client registration over HTTP', async () => {
    const { gatehouse } = fixtures;
    const metadata = await gatehouse.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    assert.equal('registration_endpoint' in metadata.json(), false, 'no registration_endpoint in the metadata');
    const clientsBefore = await countRows(gatehouse, 'clients');
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ redirect_uris: ['javascript:alert(1)'] }),
    });
    assert.equal(response.statusCode, 404, 'no /register endpoint');
    assert.equal(await countRows(gatehouse, 'clients'), clientsBefore, 'no client was created');
  });
});
