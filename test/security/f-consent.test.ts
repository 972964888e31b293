import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import {
  assertErrorRedirect,
  authorizeUrlFor,
  callbackOf,
  countIssued,
  requestEntries,
  authorizePath,
  startSecurityFixtures,
  type SecurityFixtures,
} from '../support/authorization-fixtures.js';
import { authorize, exchangeCode, requestToken, submitConsent, submitLogin } from '../support/flows.js';
import type { TestClient, TestUser } from '../support/gatehouse.js';
import { countRows } from '../support/rows.js';
import { basicAuthorization, postTokenForm } from '../support/token-requests.js';

describe('consent and remembered authorizations', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures();
  });
  after(() => fixtures.gatehouse.stop());

  /** Logs the user in for a request and returns the consent page location. */
  async function reachConsent(
    browser: BrowserSession,
    client: TestClient,
    user: TestUser,
    overrides: Record<string, string | undefined> = {},
  ): Promise<{ location: string; verifier: string }> {
    const { entries, verifier } = requestEntries(client, overrides);
    const start = await browser.get(authorizePath(entries));
    let location = locationOf(start);
    if (location.startsWith('/login')) location = locationOf(await submitLogin(browser, location, user));
    assert.match(location, /^\/consent\?request=/, `expected the consent page, got ${location}`);
    return { location, verifier };
  }

  async function consentForm(browser: BrowserSession, location: string): Promise<{ csrf: string; request: string; body: string }> {
    const page = await browser.get(location);
    assert.equal(page.statusCode, 200, page.body.slice(0, 200));
    return { csrf: formValue(page.body, 'csrf_token'), request: formValue(page.body, 'request'), body: page.body };
  }

  /** Returns where a new request of the browser goes first: the consent page, or the client. */
  async function nextStep(browser: BrowserSession, client: TestClient, overrides: Record<string, string | undefined> = {}) {
    const response = await browser.get(authorizeUrlFor(client, overrides));
    const location = locationOf(response);
    if (location.startsWith('/consent')) return 'consent';
    if (location.startsWith('/login')) return 'login';
    return callbackOf(response).searchParams.has('code') ? 'code' : 'error';
  }

  async function grantedScopes(user: TestUser, client: TestClient): Promise<string[] | undefined> {
    const row = await fixtures.gatehouse.database.db
      .selectFrom('grants')
      .select('scopes')
      .where('user_id', '=', user.id)
      .where('client_id', '=', client.clientId)
      .executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.scopes) as string[]);
  }

  // RFC 6749 section 10.12: the consent form is bound to the browser and to one request.
  it('rejects forged or mismatched consent posts', async () => {
    const { gatehouse, conf1, alice, bob } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const first = await reachConsent(browser, conf1, alice, { scope: 'openid api:read' });
    const firstForm = await consentForm(browser, first.location);
    const second = await reachConsent(browser, conf1, alice, { scope: 'openid api:read email offline_access' });
    const secondForm = await consentForm(browser, second.location);
    const issuedBefore = await countIssued(gatehouse);
    const grantsBefore = await countRows(gatehouse, 'grants');

    const noToken = await browser.postForm('/consent', { request: firstForm.request, decision: 'allow' });
    assert.equal(noToken.statusCode, 403, 'no CSRF token');
    const swapped = await browser.postForm('/consent', { request: secondForm.request, csrf_token: firstForm.csrf, decision: 'allow' });
    assert.equal(swapped.statusCode, 403, "the first request's token for the second request");

    const bobBrowser = new BrowserSession(gatehouse.app);
    await reachConsent(bobBrowser, conf1, bob);
    const fromBob = await bobBrowser.postForm('/consent', { request: firstForm.request, csrf_token: firstForm.csrf, decision: 'allow' });
    assert.equal(fromBob.statusCode, 400, "alice's request from bob's browser");

    for (const response of [noToken, swapped, fromBob]) assert.equal(response.headers.location, undefined, 'no redirect');
    assert.equal(await countIssued(gatehouse), issuedBefore, 'no code');
    assert.equal(await countRows(gatehouse, 'grants'), grantsBefore, 'no remembered authorization');

    const allowed = await browser.postForm('/consent', { request: firstForm.request, csrf_token: firstForm.csrf, decision: 'allow' });
    assert.ok(callbackOf(allowed).searchParams.has('code'), 'the first form still works');
    assert.deepEqual(await grantedScopes(alice, conf1), ['openid', 'api:read'], 'only the first request was authorized');
    const replay = await browser.postForm('/consent', { request: firstForm.request, csrf_token: firstForm.csrf, decision: 'allow' });
    assert.equal(replay.statusCode, 400, 'a replayed form is rejected');
    assert.equal(replay.headers.location, undefined, 'no redirect for the replay');
    const pending = await browser.get(second.location);
    assert.equal(pending.statusCode, 200, 'the broader request still waits for a decision');
  });

  // The decision uses the stored request only, never values added to the form.
  it('ignores request values added to the form', async () => {
    const { gatehouse, conf1, conf2, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, conf1, alice, { scope: 'openid profile', prompt: 'consent' });
    const form = await consentForm(browser, consent.location);
    const response = await browser.postForm('/consent', {
      request: form.request,
      csrf_token: form.csrf,
      decision: 'allow',
      scope: 'openid admin:all email',
      redirect_uri: 'https://evil.example/cb',
      client_id: conf2.clientId,
    });
    const callback = callbackOf(response);
    assert.equal(`${callback.origin}${callback.pathname}`, conf1.redirectUri, 'the code goes to the verified redirect URI');
    const code = callback.searchParams.get('code');
    assert.ok(code !== null);
    const tokens = await requestToken(gatehouse, conf1, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: conf1.redirectUri,
      code_verifier: consent.verifier,
    });
    assert.equal(tokens.statusCode, 200, tokens.body);
    assert.equal(tokens.json().scope, 'openid profile', 'the scope shown on the page');
  });

  // RFC 6749 section 4.1.2.1: access_denied, and the denial is not remembered as approval.
  it('honours denial without remembering it', async () => {
    const { gatehouse, conf2, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, conf2, alice);
    const issuedBefore = await countIssued(gatehouse);
    const denied = await submitConsent(browser, consent.location, 'deny');
    assertErrorRedirect(gatehouse, denied, { redirectUri: conf2.redirectUri, error: 'access_denied', state: 'state-1234' });
    assert.equal(await grantedScopes(alice, conf2), undefined, 'no remembered authorization');
    assert.equal(await nextStep(browser, conf2), 'consent', 'the next request asks again');
    assert.equal(await countIssued(gatehouse), issuedBefore, 'no code');
  });

  // OpenID Connect Core sections 3.1.2.4 and 11: new scopes and offline access need consent.
  it('remembers only the granted scopes', async () => {
    const { gatehouse, conf1, bob } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, conf1, bob, { scope: 'openid api:read' });
    assert.equal(await nextStep(browser, conf1, { scope: 'openid api:read' }), 'code', 'the same scopes skip the page');
    assert.equal(await nextStep(browser, conf1, { scope: 'openid api:read email' }), 'consent', 'a new scope');
    assert.equal(await nextStep(browser, conf1, { scope: 'openid offline_access' }), 'consent', 'offline_access');
    assert.equal(await nextStep(browser, conf1, { scope: 'openid api:read', prompt: 'consent' }), 'consent', 'prompt=consent');

    const issuedBefore = await countIssued(gatehouse);
    const silent = await browser.get(authorizeUrlFor(conf1, { scope: 'openid api:read email', prompt: 'none' }));
    assertErrorRedirect(gatehouse, silent, { redirectUri: conf1.redirectUri, error: 'consent_required', state: 'state-1234' });
    assert.equal(await countIssued(gatehouse), issuedBefore, 'no code for prompt=none');
  });

  // Public clients with an https redirect URI keep remembered consent, because the https host
  // proves the client. Loopback clients are asked every time (RFC 8252 section 8.6).
  it('asks loopback public clients every time', async () => {
    const { gatehouse, pub1, nat1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, pub1, alice, { scope: 'openid api:read' });
    assert.equal(await nextStep(browser, pub1), 'code', 'the https public client is remembered');

    const nativeClient = { ...nat1, redirectUri: 'http://127.0.0.1:51004/cb' };
    await authorize(browser, nativeClient, alice, { scope: 'openid api:read' });
    assert.equal(await nextStep(browser, nativeClient), 'consent', 'the native client is asked again');
    const silent = await browser.get(authorizeUrlFor(nativeClient, { prompt: 'none' }));
    assertErrorRedirect(gatehouse, silent, { redirectUri: nativeClient.redirectUri, error: 'consent_required', state: 'state-1234' });
  });

  it('keeps authorizations per user and client', async () => {
    const { gatehouse, conf1, conf2, alice, bob } = fixtures;
    const aliceBrowser = new BrowserSession(gatehouse.app);
    await authorize(aliceBrowser, conf1, alice, { scope: 'openid email' });
    assert.equal(await nextStep(aliceBrowser, conf1, { scope: 'openid email' }), 'code', 'alice is remembered for conf1');
    assert.equal(await nextStep(aliceBrowser, conf2, { scope: 'openid email' }), 'consent', 'conf2 inherits nothing');

    const bobBrowser = new BrowserSession(gatehouse.app);
    const bobConsent = await reachConsent(bobBrowser, conf1, bob, { scope: 'openid email' });
    assert.match(bobConsent.location, /^\/consent/, 'bob is asked');
  });

  // Removing an app revokes all of its tokens and deletes the remembered authorization.
  it('revokes tokens with the remembered authorization', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const authorization = await authorize(browser, conf1, alice, { scope: 'openid api:read offline_access', prompt: 'consent' });
    const tokens = (await exchangeCode(gatehouse, conf1, authorization)).json();
    assert.ok(typeof tokens.refresh_token === 'string', 'a refresh token was issued');

    const page = await browser.get('/connected-apps');
    const removed = await browser.postForm('/connected-apps/revoke', {
      csrf_token: formValue(page.body, 'csrf_token'),
      client_id: conf1.clientId,
    });
    assert.equal(removed.statusCode, 200);

    const introspect = (token: string): Promise<LightMyRequestResponse> =>
      postTokenForm(gatehouse, { token }, { url: '/introspect', headers: { authorization: basicAuthorization(conf1.clientId, conf1.secret ?? '') } });
    assert.deepEqual((await introspect(tokens.access_token)).json(), { active: false }, 'the access token is inactive');
    assert.deepEqual((await introspect(tokens.refresh_token)).json(), { active: false }, 'the refresh token is inactive');
    const refreshed = await requestToken(gatehouse, conf1, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refreshed.statusCode, 400);
    assert.equal(refreshed.json().error, 'invalid_grant', 'the refresh is rejected');
    assert.equal(await grantedScopes(alice, conf1), undefined, 'the authorization is forgotten');
    assert.equal(await nextStep(browser, conf1), 'consent', 'the next request asks again');
  });

  // The consent page names the client, the scopes and the redirect origin.
  it('shows client, scopes and destination', async () => {
    const { gatehouse, conf2, bob } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const consent = await reachConsent(browser, conf2, bob, { scope: 'openid profile email offline_access' });
    const { body } = await consentForm(browser, consent.location);
    assert.ok(body.includes('Confidential App Two'), 'the client name');
    assert.ok(body.includes('https://other.example.com'), 'the redirect origin');
    assert.ok(body.includes('See your name and username'), 'profile in plain words');
    assert.ok(body.includes('See your email address'), 'email in plain words');
    assert.ok(body.includes('Keep access while you are not using the app'), 'offline access is named');
  });

  // Client-controlled text is escaped, and the pages run no inline script.
  it('escapes the client name on both pages', async () => {
    const { gatehouse, alice } = fixtures;
    const hostile = await gatehouse.createClient({
      name: '<img src=x onerror=alert(1)>',
      redirectUris: ['https://hostile.example.com/cb'],
      scopes: ['openid', 'api:read'],
    });
    const browser = new BrowserSession(gatehouse.app);
    const start = await browser.get(authorizeUrlFor(hostile));
    const loginPage = await browser.get(locationOf(start));
    const consentLocation = locationOf(await submitLogin(browser, locationOf(start), alice));
    const consentPage = await browser.get(consentLocation);
    for (const [label, page] of [['login', loginPage], ['consent', consentPage]] as const) {
      assert.equal(page.body.includes('<img src=x'), false, `${label}: no img element`);
      assert.ok(page.body.includes('&lt;img src=x onerror=alert(1)&gt;'), `${label}: the name as text`);
      const policy = String(page.headers['content-security-policy']);
      assert.equal(policy.includes('unsafe-inline'), false, `${label}: no unsafe-inline`);
      assert.match(policy, /default-src 'none'/, `${label}: nothing allowed by default`);
    }
  });

  // OpenID Connect Core section 3.1.2.1: prompt=none never shows a page.
  it('never shows pages for prompt=none', async () => {
    const { gatehouse, conf2, bob } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const issuedBefore = await countIssued(gatehouse);
    const loggedOut = await browser.get(authorizeUrlFor(conf2, { prompt: 'none' }));
    assertErrorRedirect(gatehouse, loggedOut, { redirectUri: conf2.redirectUri, error: 'login_required', state: 'state-1234' });

    await reachConsent(browser, conf2, bob, { scope: 'openid api:read' });
    const noConsent = await browser.get(authorizeUrlFor(conf2, { scope: 'openid api:read', prompt: 'none' }));
    assertErrorRedirect(gatehouse, noConsent, { redirectUri: conf2.redirectUri, error: 'consent_required', state: 'state-1234' });

    const combined = await browser.get(authorizeUrlFor(conf2, { prompt: 'none login' }));
    assertErrorRedirect(gatehouse, combined, { redirectUri: conf2.redirectUri, error: 'invalid_request', state: 'state-1234' });
    assert.equal(await countIssued(gatehouse), issuedBefore, 'no code');
  });
});
