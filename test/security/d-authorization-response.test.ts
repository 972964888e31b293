import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import {
  assertErrorRedirect,
  authorizeUrlFor,
  callbackOf,
  countIssued,
  startSecurityFixtures,
  type SecurityFixtures,
} from '../support/authorization-fixtures.js';
import { authorize, submitConsent, submitLogin } from '../support/flows.js';

const TOKEN_PARAMETERS = ['access_token', 'id_token', 'refresh_token', 'token_type'];

describe('authorization response', () => {
  let fixtures: SecurityFixtures;
  let remembered: BrowserSession;

  before(async () => {
    fixtures = await startSecurityFixtures();
    remembered = new BrowserSession(fixtures.gatehouse.app);
    await authorize(remembered, fixtures.conf1, fixtures.alice, { scope: 'openid api:read' });
  });
  after(() => fixtures.gatehouse.stop());

  // RFC 6749 section 4.1.2: the code goes to the verified redirect URI, in the query.
  it('delivers the code in the query', async () => {
    const { gatehouse, conf1 } = fixtures;
    const response = await remembered.get(authorizeUrlFor(conf1, { state: 'st-1' }));
    assert.equal(response.statusCode, 302);
    const callback = callbackOf(response);
    assert.equal(`${callback.origin}${callback.pathname}`, conf1.redirectUri, 'the registered redirect URI');
    assert.deepEqual([...callback.searchParams.keys()].sort(), ['code', 'iss', 'state'], 'code, state and iss only');
    assert.equal(callback.searchParams.get('state'), 'st-1', 'state');
    assert.equal(callback.searchParams.get('iss'), gatehouse.config.issuer, 'iss');
    assert.equal(callback.hash, '', 'nothing in the fragment');
    for (const name of TOKEN_PARAMETERS) assert.equal(callback.searchParams.has(name), false, `no ${name}`);
    assert.equal(response.headers['cache-control'], 'no-store', 'the redirect is not cached');
  });

  // OAuth 2.0 Form Post Response Mode: the form posts to the verified redirect URI only.
  it('posts form_post responses to the redirect URI', async () => {
    const { conf1 } = fixtures;
    const response = await remembered.get(authorizeUrlFor(conf1, { response_mode: 'form_post', state: 'st-2' }));
    assert.equal(response.statusCode, 200, response.body.slice(0, 200));
    assert.equal(response.headers.location, undefined, 'no redirect');
    assert.match(response.body, new RegExp(`<form[^>]*action="${conf1.redirectUri}"`), 'the form targets the redirect URI');
    assert.ok(formValue(response.body, 'code').length > 0, 'the form carries the code');
    assert.equal(formValue(response.body, 'state'), 'st-2', 'the form carries the state');
    for (const name of TOKEN_PARAMETERS) assert.equal(response.body.includes(`name="${name}"`), false, `no ${name} field`);
    assert.equal(response.headers['cache-control'], 'no-store', 'the page is not cached');
  });

  // RFC 9207 section 2: iss in success and error responses.
  it('adds iss to every response', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const issuer = gatehouse.config.issuer;

    const success = await remembered.get(authorizeUrlFor(conf1));
    assert.equal(callbackOf(success).searchParams.get('iss'), issuer, 'success');

    const browser = new BrowserSession(gatehouse.app);
    const start = await browser.get(authorizeUrlFor(conf1, { scope: 'openid email', state: 'deny-state' }));
    const consent = await submitLogin(browser, locationOf(start), alice);
    const issuedBefore = await countIssued(gatehouse);
    const denied = await submitConsent(browser, locationOf(consent), 'deny');
    assertErrorRedirect(gatehouse, denied, { redirectUri: conf1.redirectUri, error: 'access_denied', state: 'deny-state' });
    assert.equal(await countIssued(gatehouse), issuedBefore, 'no code after denial');

    const invalid = await remembered.get(authorizeUrlFor(conf1, { scope: 'openid bad' }));
    assertErrorRedirect(gatehouse, invalid, { redirectUri: conf1.redirectUri, error: 'invalid_scope', state: 'state-1234' });
  });

  // RFC 9700 section 4.12: after a POST with the password, 303 makes the browser switch to GET.
  it('redirects after login with 303', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, conf1, alice, { scope: 'openid api:read' });

    const fresh = new BrowserSession(gatehouse.app);
    const start = await fresh.get(authorizeUrlFor(conf1));
    const response = await submitLogin(fresh, locationOf(start), alice);
    assert.equal(response.statusCode, 303, 'the login POST returns 303');
    const callback = callbackOf(response);
    assert.equal(`${callback.origin}${callback.pathname}`, conf1.redirectUri, 'straight to the client');
    assert.ok(callback.searchParams.has('code'), 'with a code');

    const consentBrowser = new BrowserSession(gatehouse.app);
    const consentStart = await consentBrowser.get(authorizeUrlFor(conf1, { scope: 'openid profile' }));
    const consentPage = await submitLogin(consentBrowser, locationOf(consentStart), alice);
    assert.equal(consentPage.statusCode, 303, 'the login POST returns 303 on the way to consent');
    const allowed = await submitConsent(consentBrowser, locationOf(consentPage), 'allow');
    assert.equal(allowed.statusCode, 303, 'the consent POST returns 303');
  });

  // RFC 6749 section 10.10: codes cannot be guessed.
  it('issues random codes without structure', async () => {
    const { conf1, alice } = fixtures;
    const codes: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const response = await remembered.get(authorizeUrlFor(conf1));
      const code = callbackOf(response).searchParams.get('code');
      assert.ok(code !== null, `code ${index}`);
      codes.push(code);
    }
    assert.equal(new Set(codes).size, codes.length, 'every code is different');
    for (const code of codes) {
      assert.match(code, /^[A-Za-z0-9_-]+$/, 'base64url characters');
      assert.ok(code.length >= 22, `at least 128 bits: ${code.length} characters`);
      assert.equal(code.includes(conf1.clientId), false, 'no client id in the code');
      assert.equal(code.includes(alice.id), false, 'no user id in the code');
      assert.equal(code.toLowerCase().includes('alice'), false, 'no username in the code');
    }
    const sorted = [...codes].sort();
    for (let index = 1; index < sorted.length; index += 1) {
      const previous = sorted[index - 1] ?? '';
      const current = sorted[index] ?? '';
      let shared = 0;
      while (shared < previous.length && previous[shared] === current[shared]) shared += 1;
      assert.ok(shared < 8, `no long shared prefix between codes: ${shared} characters`);
    }
  });
});
