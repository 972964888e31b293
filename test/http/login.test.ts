import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { LOGIN_FAILED_MESSAGE } from '../../src/http/routes/login.js';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { countRows } from '../support/rows.js';

const SESSION_COOKIE = 'gatehouse_session';
const BROWSER_COOKIE = 'gatehouse_browser';

function cookieNamed(response: LightMyRequestResponse, name: string) {
  return response.cookies.find((cookie) => cookie.name === name);
}

/** Returns the text of the page's error paragraph, or undefined when there is none. */
function errorParagraph(html: string): string | undefined {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
}

/** Posts the login form of `/login` with the given fields in place of the page's own. */
async function postLogin(
  browser: BrowserSession,
  fields: { username: string; password: string; csrf_token?: string; request?: string },
): Promise<LightMyRequestResponse> {
  const form: Record<string, string> = { username: fields.username, password: fields.password };
  if (fields.csrf_token !== undefined) form.csrf_token = fields.csrf_token;
  if (fields.request !== undefined) form.request = fields.request;
  return browser.postForm('/login', form);
}

async function isSignedIn(browser: BrowserSession): Promise<boolean> {
  const home = await browser.get('/');
  assert.equal(home.statusCode, 200, 'the home page loads');
  return /<h1>Signed in<\/h1>/.test(home.body);
}

describe('login', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Login Test App' });
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  it('fails wrong password and unknown user alike', async () => {
    const sessionsBefore = await countRows(gatehouse, 'sessions');
    const responses: LightMyRequestResponse[] = [];
    for (const credentials of [
      { username: user.username, password: 'not-the-password' },
      { username: 'nobody-by-this-name', password: 'not-the-password' },
    ]) {
      const browser = new BrowserSession(gatehouse.app);
      const response = await submitLogin(browser, '/login', credentials);
      assert.equal(response.statusCode, 400, `${credentials.username}: status 400`);
      assert.equal(errorParagraph(response.body), LOGIN_FAILED_MESSAGE, `${credentials.username}: the generic message`);
      assert.equal(cookieNamed(response, SESSION_COOKIE), undefined, `${credentials.username}: no session cookie`);
      assert.equal(await isSignedIn(browser), false, `${credentials.username}: the browser is not signed in`);
      responses.push(response);
    }
    const [wrongPassword, unknownUser] = responses;
    assert.equal(wrongPassword?.statusCode, unknownUser?.statusCode, 'both failures have the same status');
    assert.equal(errorParagraph(wrongPassword?.body ?? ''), errorParagraph(unknownUser?.body ?? ''), 'both show the same message');
    assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, 'no session row was stored');
  });

  it('signs in with the right password', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const response = await submitLogin(browser, '/login', user);
    assert.equal(response.statusCode, 303, 'a successful login redirects');
    assert.equal(locationOf(response), '/', 'a login without a request goes home');
    assert.ok(cookieNamed(response, SESSION_COOKIE) !== undefined, 'a session cookie is set');
    assert.equal(await isSignedIn(browser), true, 'the browser is signed in');
  });

  it('replaces a planted session cookie', async () => {
    const browser = new BrowserSession(gatehouse.app);
    browser.cookies.set(SESSION_COOKIE, 'planted-session-value-chosen-by-someone-else');
    const response = await submitLogin(browser, '/login', user);
    assert.equal(response.statusCode, 303, 'the login succeeds');
    const issued = cookieNamed(response, SESSION_COOKIE);
    assert.ok(issued !== undefined, 'the login sets the session cookie');
    assert.notEqual(issued.value, 'planted-session-value-chosen-by-someone-else', 'the planted value is not kept');
    assert.equal(browser.cookies.get(SESSION_COOKIE), issued.value, 'the browser holds the new value');
  });

  it('changes the session cookie at each login', async () => {
    const browser = new BrowserSession(gatehouse.app);
    await submitLogin(browser, '/login', user);
    const first = browser.cookies.get(SESSION_COOKIE);
    assert.ok(first !== undefined, 'the first login sets a session cookie');

    await submitLogin(browser, '/login', user);
    const second = browser.cookies.get(SESSION_COOKIE);
    assert.ok(second !== undefined, 'the second login sets a session cookie');
    assert.notEqual(second, first, 'the cookie changes at login');

    const oldCookie = new BrowserSession(gatehouse.app);
    oldCookie.cookies.set(SESSION_COOKIE, first);
    assert.equal(await isSignedIn(oldCookie), false, 'the session from before the login has ended');
  });

  it('sets HttpOnly SameSite=Lax cookies', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const page = await browser.get('/login');
    const browserCookie = cookieNamed(page, BROWSER_COOKIE);
    assert.ok(browserCookie !== undefined, 'the login page sets the browser cookie');
    assert.equal(browserCookie.httpOnly, true, 'the browser cookie is HttpOnly');
    assert.equal(browserCookie.sameSite, 'Lax', 'the browser cookie is SameSite=Lax');
    assert.equal(browserCookie.path, '/', 'the browser cookie has Path=/');

    const response = await submitLogin(browser, '/login', user);
    const session = cookieNamed(response, SESSION_COOKIE);
    assert.ok(session !== undefined, 'the login sets the session cookie');
    assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Lax', 'the session cookie is SameSite=Lax');
    assert.equal(session.path, '/', 'the session cookie has Path=/');
    assert.equal(session.secure, undefined, 'an http issuer sets no Secure attribute');
    assert.equal(response.headers['strict-transport-security'], undefined, 'an http issuer sends no HSTS');
  });

  describe('with an https issuer', () => {
    let secure: TestGatehouse;
    let secureUser: TestUser;

    before(async () => {
      secure = await startTestGatehouse({ environment: { GATEHOUSE_ISSUER: 'https://localhost:9443' } });
      secureUser = await secure.createUser();
    });
    after(() => secure.stop());

    it('uses Secure __Host- cookies and HSTS', async () => {
      const browser = new BrowserSession(secure.app);
      const page = await browser.get('/login');
      const hsts = String(page.headers['strict-transport-security'] ?? '');
      assert.match(hsts, /max-age=31536000/, 'HSTS is sent for a year');
      assert.equal(cookieNamed(page, BROWSER_COOKIE), undefined, 'no unprefixed browser cookie');
      const browserCookie = cookieNamed(page, `__Host-${BROWSER_COOKIE}`);
      assert.ok(browserCookie !== undefined, 'the browser cookie has the __Host- prefix');
      assert.equal(browserCookie.secure, true, 'the browser cookie is Secure');

      const response = await submitLogin(browser, '/login', secureUser);
      assert.equal(response.statusCode, 303, 'the login succeeds');
      assert.equal(cookieNamed(response, SESSION_COOKIE), undefined, 'no unprefixed session cookie');
      const session = cookieNamed(response, `__Host-${SESSION_COOKIE}`);
      assert.ok(session !== undefined, 'the session cookie has the __Host- prefix');
      assert.equal(session.secure, true, 'the session cookie is Secure');
      assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly');
      assert.equal(session.path, '/', 'the session cookie has Path=/');
      assert.equal(session.domain, undefined, 'the session cookie has no Domain');
      assert.equal(await isSignedIn(browser), true, 'the prefixed cookie signs the browser in');
    });
  });

  describe('CSRF protection', () => {
    const cases: Array<{ name: string; token: (page: string, other: string) => string | undefined }> = [
      { name: 'a missing token', token: () => undefined },
      { name: 'a wrong token', token: () => 'A'.repeat(43) },
      { name: "another browser's token", token: (_page, other) => other },
    ];
    for (const { name, token } of cases) {
      it(`rejects ${name}`, async () => {
        const sessionsBefore = await countRows(gatehouse, 'sessions');
        const browser = new BrowserSession(gatehouse.app);
        const page = await browser.get('/login');
        const otherBrowser = new BrowserSession(gatehouse.app);
        const otherPage = await otherBrowser.get('/login');

        const response = await postLogin(browser, {
          username: user.username,
          password: user.password,
          csrf_token: token(formValue(page.body, 'csrf_token'), formValue(otherPage.body, 'csrf_token')),
        });
        assert.equal(response.statusCode, 403, `${name}: status 403`);
        assert.equal(cookieNamed(response, SESSION_COOKIE), undefined, `${name}: no session cookie`);
        assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, `${name}: no session row`);
        assert.equal(await isSignedIn(browser), false, `${name}: the browser is not signed in`);
      });
    }

    it('rejects a browser without cookies', async () => {
      const page = await new BrowserSession(gatehouse.app).get('/login');
      const cookieless = await gatehouse.app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          username: user.username,
          password: user.password,
          csrf_token: formValue(page.body, 'csrf_token'),
        }).toString(),
      });
      assert.equal(cookieless.statusCode, 403, 'a form posted without the browser cookie is rejected');
      assert.equal(cookieNamed(cookieless, SESSION_COOKIE), undefined, 'no session cookie');
    });
  });

  it('binds a pending request to its browser', async () => {
    const starter = new BrowserSession(gatehouse.app);
    const started = await starter.get(authorizationUrl(client).url);
    const loginLocation = locationOf(started);
    const requestId = new URL(loginLocation, 'http://localhost').searchParams.get('request') ?? '';
    assert.ok(requestId !== '', 'the authorization request is pending');

    const other = new BrowserSession(gatehouse.app);
    const otherPage = await other.get(loginLocation);
    assert.equal(otherPage.statusCode, 400, 'another browser cannot open the login page of the request');
    assert.match(otherPage.body, /This request has ended/, 'another browser sees the ended page');

    const ownForm = await other.get('/login');
    const sessionsBefore = await countRows(gatehouse, 'sessions');
    const otherLogin = await postLogin(other, {
      username: user.username,
      password: user.password,
      csrf_token: formValue(ownForm.body, 'csrf_token'),
      request: requestId,
    });
    assert.equal(otherLogin.statusCode, 400, 'another browser cannot log in to the request');
    assert.equal(otherLogin.headers.location, undefined, 'another browser is not redirected');
    assert.equal(cookieNamed(otherLogin, SESSION_COOKIE), undefined, 'another browser gets no session');
    assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, 'no session row was stored');

    const ownLogin = await submitLogin(starter, loginLocation, user);
    assert.match(locationOf(ownLogin), /^\/consent\?request=/, 'the starting browser can still continue');

    const otherConsent = await other.get(locationOf(ownLogin));
    assert.equal(otherConsent.statusCode, 400, 'another browser cannot open the consent page either');
  });

  it('forbids framing of login and consent', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const started = await browser.get(authorizationUrl(client).url);
    const loginPage = await browser.get(locationOf(started));
    const afterLogin = await submitLogin(browser, locationOf(started), user);
    const consentPage = await browser.get(locationOf(afterLogin));

    for (const [name, page] of [
      ['login', loginPage],
      ['consent', consentPage],
    ] as const) {
      assert.equal(page.statusCode, 200, `the ${name} page loads`);
      const policy = String(page.headers['content-security-policy'] ?? '');
      assert.match(policy, /frame-ancestors 'none'/, `the ${name} page sends frame-ancestors 'none'`);
      assert.equal(page.headers['x-frame-options'], 'DENY', `the ${name} page sends X-Frame-Options: DENY`);
      assert.equal(page.headers['cache-control'], 'no-store', `the ${name} page is not cached`);
    }
  });

  describe('logout', () => {
    it('ends the session with the token', async () => {
      const browser = new BrowserSession(gatehouse.app);
      await submitLogin(browser, '/login', user);
      const sessionCookie = browser.cookies.get(SESSION_COOKIE);
      assert.ok(sessionCookie !== undefined, 'the browser has a session');
      const sessionsBefore = await countRows(gatehouse, 'sessions');

      const home = await browser.get('/');
      const response = await browser.postForm('/logout', { csrf_token: formValue(home.body, 'csrf_token') });
      assert.equal(response.statusCode, 303, 'the logout redirects');
      assert.equal(locationOf(response), '/', 'the logout goes home');
      const cleared = cookieNamed(response, SESSION_COOKIE);
      assert.ok(cleared !== undefined, 'the logout clears the session cookie');
      assert.equal(cleared.value, '', 'the cleared cookie is empty');
      assert.equal(await isSignedIn(browser), false, 'the browser is signed out');
      assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore - 1, 'the session row is deleted');

      const replayed = new BrowserSession(gatehouse.app);
      replayed.cookies.set(SESSION_COOKIE, sessionCookie);
      assert.equal(await isSignedIn(replayed), false, 'the old cookie value no longer signs in');
    });

    const rejected: Array<{ name: string; form: Record<string, string> }> = [
      { name: 'a missing token', form: {} },
      { name: 'a wrong token', form: { csrf_token: 'A'.repeat(43) } },
    ];
    for (const { name, form } of rejected) {
      it(`rejects logout with ${name}`, async () => {
        const browser = new BrowserSession(gatehouse.app);
        await submitLogin(browser, '/login', user);
        const sessionsBefore = await countRows(gatehouse, 'sessions');

        const response = await browser.postForm('/logout', form);
        assert.equal(response.statusCode, 403, `${name}: status 403`);
        assert.equal(cookieNamed(response, SESSION_COOKIE), undefined, `${name}: the session cookie is not cleared`);
        assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, `${name}: the session row stays`);
        assert.equal(await isSignedIn(browser), true, `${name}: the browser stays signed in`);
      });
    }

    it('does not accept logout by GET', async () => {
      const browser = new BrowserSession(gatehouse.app);
      await submitLogin(browser, '/login', user);
      const response = await browser.get('/logout');
      assert.equal(response.statusCode, 405, 'GET /logout is not a route');
      assert.equal(response.headers.allow, 'POST', 'the Allow header names POST');
      assert.match(String(response.headers['content-type']), /^text\/html/, 'a page, because a person followed a link');
      assert.equal(await isSignedIn(browser), true, 'the browser stays signed in');
    });
  });
});
