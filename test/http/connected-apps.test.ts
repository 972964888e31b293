import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { logInFromRedirect } from '../support/device-flow.js';
import { authorize, exchangeCode, requestToken } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect } from '../support/lifecycle.js';
import { accessTokenWorks } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';

/** The names of the connected apps a page lists, from its h2 headings. */
function listedApps(html: string): string[] {
  return [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((match) => match[1] ?? '');
}

describe('connected apps', () => {
  let gatehouse: TestGatehouse;
  let photos: TestClient;
  let calendar: TestClient;
  let user: TestUser;
  let otherUser: TestUser;
  let browser: BrowserSession;

  before(async () => {
    gatehouse = await startTestGatehouse();
    photos = await gatehouse.createClient({ name: 'Photo <Printer>' });
    calendar = await gatehouse.createClient({ name: 'Calendar' });
    user = await gatehouse.createUser();
    otherUser = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('sends a logged-out user to log in and back', async () => {
    const stranger = new BrowserSession(gatehouse.app);
    const response = await stranger.get('/connected-apps');
    assert.equal(response.statusCode, 303, 'a redirect');
    assert.equal(locationOf(response), '/login?return_to=%2Fconnected-apps', 'to the login page');
    const login = await logInFromRedirect(stranger, locationOf(response), user);
    assert.equal(locationOf(login), '/connected-apps', 'back to the page after login');
    const page = await stranger.get('/connected-apps');
    assert.equal(page.statusCode, 200, 'the page is shown');
    assert.match(page.body, /No app has access/, 'no app is connected yet');
  });

  it('ignores a foreign return_to', async () => {
    const stranger = new BrowserSession(gatehouse.app);
    const page = await stranger.get('/login?return_to=https%3A%2F%2Fevil.example.com%2F');
    assert.throws(() => formValue(page.body, 'return_to'), 'the login form does not carry the foreign address');
  });

  it('lists authorized apps with last use', async () => {
    const first = await authorize(browser, photos, user, { scope: 'profile email' });
    gatehouse.clock.advance(30);
    const issued = await exchangeCode(gatehouse, photos, first);
    assert.equal(issued.statusCode, 200, issued.body);
    await authorize(browser, calendar, user, { scope: 'profile' });

    const page = await browser.get('/connected-apps');
    assert.equal(page.statusCode, 200, 'the page is shown');
    assert.deepEqual(listedApps(page.body).sort(), ['Calendar', 'Photo &lt;Printer&gt;'], 'both apps, with escaped names');
    assert.match(page.body, /See your email address/, 'scopes in plain words');
    assert.match(page.body, /Last used on \d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'the photo app shows its last use');
    assert.match(page.body, /Not used yet/, 'the calendar app has not received tokens');
  });

  it('revokes every token of an app at once', async () => {
    const authorization = await authorize(browser, photos, user, { scope: 'profile' });
    const tokens = (await exchangeCode(gatehouse, photos, authorization)).json();
    const second = (await exchangeCode(gatehouse, photos, await authorize(browser, photos, user, { scope: 'profile' }))).json();
    const otherBrowser = new BrowserSession(gatehouse.app);
    const otherTokens = (await exchangeCode(gatehouse, photos, await authorize(otherBrowser, photos, otherUser, { scope: 'profile' }))).json();
    const calendarTokens = (await exchangeCode(gatehouse, calendar, await authorize(browser, calendar, user, { scope: 'profile' }))).json();
    const grantsBefore = await countRows(gatehouse, 'grants');

    const page = await browser.get('/connected-apps');
    const response = await browser.postForm('/connected-apps/revoke', {
      csrf_token: formValue(page.body, 'csrf_token'),
      client_id: photos.clientId,
    });
    assert.equal(response.statusCode, 200, response.body.slice(0, 200));
    assert.match(response.body, /no longer has access/, 'the page confirms the removal');
    assert.deepEqual(listedApps(response.body), ['Calendar'], 'only the other app is listed');

    for (const [name, token] of [['first access token', tokens.access_token], ['second access token', second.access_token]]) {
      assert.deepEqual(await introspect(gatehouse, clientCredentials(photos), token), { active: false }, `${name}: inactive`);
      assert.equal(await accessTokenWorks(gatehouse, token), false, `${name}: rejected at userinfo`);
    }
    const refreshed = await requestToken(gatehouse, photos, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refreshed.json().error, 'invalid_grant', 'the refresh token is revoked');
    assert.equal(await accessTokenWorks(gatehouse, otherTokens.access_token), true, "another user's token still works");
    assert.equal(await accessTokenWorks(gatehouse, calendarTokens.access_token), true, "another app's token still works");
    assert.equal(await countRows(gatehouse, 'grants'), grantsBefore - 1, 'one remembered authorization was deleted');

    const again = await authorize(browser, photos, user, { scope: 'profile' });
    assert.ok(again.code.length > 0, 'a new authorization is possible after consent');
  });

  it('rejects a revocation without CSRF token', async () => {
    const tokens = (await exchangeCode(gatehouse, calendar, await authorize(browser, calendar, user, { scope: 'profile' }))).json();
    const response = await browser.postForm('/connected-apps/revoke', { csrf_token: 'forged', client_id: calendar.clientId });
    assert.equal(response.statusCode, 403, 'status 403');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), true, 'the token still works');
    const page = await browser.get('/connected-apps');
    assert.ok(listedApps(page.body).includes('Calendar'), 'the app is still listed');
  });
});
