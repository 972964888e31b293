import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserSkipReason, CHROMIUM_PATH, launchChromium } from '../support/chromium.js';
import { startConsumer, type Consumer } from '../../examples/consumer/consumer.js';
import { BUILTIN_SCOPES } from '../../src/core/scope.js';
import { findFreePort, startTestGatehouse, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

const skipReason = browserSkipReason('the browser tests');

const CLIENT_NAME = "Lena's Photo Album";
const SESSION_COOKIE = 'gatehouse_session';

describe('demo consumer in Chromium', { skip: skipReason, timeout: 120_000 }, () => {
  let gatehouse: TestGatehouse;
  let consumer: Consumer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alice: TestUser;
  let bob: TestUser;
  let clientId: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `expected Chromium at ${CHROMIUM_PATH}, because GATEHOUSE_REQUIRE_BROWSER=1`);
    gatehouse = await startTestGatehouse({ listen: true });
    alice = await gatehouse.createUser({ username: 'alice', name: 'Alice Example', email: 'alice@example.com' });
    bob = await gatehouse.createUser({ username: 'bob' });

    const port = await findFreePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const postLogoutRedirectUri = `http://127.0.0.1:${port}/signed-out`;
    const client = await gatehouse.createClient({
      name: CLIENT_NAME,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [postLogoutRedirectUri],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    });
    assert.ok(client.secret !== undefined, 'expected a confidential client with a secret');
    clientId = client.clientId;
    consumer = await startConsumer({
      issuer: gatehouse.baseUrl,
      clientId: client.clientId,
      clientSecret: client.secret,
      port,
      host: '127.0.0.1',
    });
    assert.equal(consumer.redirectUri, redirectUri, 'expected the consumer to use the registered redirect URI');
    assert.equal(
      consumer.postLogoutRedirectUri,
      postLogoutRedirectUri,
      'expected the consumer to use the registered post-logout redirect URI',
    );

    browser = await launchChromium();
    context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await consumer?.close();
    await gatehouse?.stop();
  });

  it('rejects a wrong password without a session', async () => {
    await page.goto(consumer.url);
    await page.getByRole('button', { name: 'Connect with Gatehouse' }).click();
    await page.waitForURL(`${gatehouse.baseUrl}/login?request=*`);
    assert.match(await page.locator('.lead').innerText(), /Lena's Photo Album/, 'expected the login page to name the client');

    await page.locator('#username').fill(alice.username);
    await page.locator('#password').fill(`${alice.password}-wrong`);
    const [loginResponse] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && response.url() === `${gatehouse.baseUrl}/login`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    assert.equal(loginResponse.status(), 400, 'expected the failed login to return 400');
    await page.waitForLoadState();

    assert.equal(
      (await page.getByRole('alert').innerText()).trim(),
      'The username or password is incorrect.',
      'expected the generic login error message',
    );
    assert.equal(await page.locator('#username').inputValue(), alice.username, 'expected the username to be kept in the form');
    const cookieNames = (await context.cookies(gatehouse.baseUrl)).map((cookie) => cookie.name);
    assert.ok(!cookieNames.includes(SESSION_COOKIE), `expected no ${SESSION_COOKIE} cookie, got ${cookieNames.join(', ')}`);
  });

  it('shows the consent page after the right password', async () => {
    await page.locator('#password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${gatehouse.baseUrl}/consent?request=*`);

    const cookieNames = (await context.cookies(gatehouse.baseUrl)).map((cookie) => cookie.name);
    assert.ok(cookieNames.includes(SESSION_COOKIE), `expected a ${SESSION_COOKIE} cookie after login, got ${cookieNames.join(', ')}`);
    assert.equal(
      await page.getByRole('heading', { level: 1 }).innerText(),
      `${CLIENT_NAME} wants to access your account`,
      'expected the consent heading to name the client',
    );
    const scopes = (await page.locator('ul.scopes li').allInnerTexts()).map((text) => text.trim());
    assert.ok(scopes.includes('Sign you in with your account'), `expected the openid scope description, got ${scopes.join(' | ')}`);
    assert.deepEqual(
      scopes,
      [BUILTIN_SCOPES.openid, BUILTIN_SCOPES.profile, BUILTIN_SCOPES.email, BUILTIN_SCOPES.offline_access],
      'expected the requested scopes openid, profile and email, and the refresh token notice',
    );
  });

  it('signs in and shows ID token claims after Allow', async () => {
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${consumer.url}/`);

    await assertHeading(page, 'Signed in with OpenID Connect', 'expected the consumer to show that it is signed in');
    assert.equal(await readClaim(page, 'sub'), alice.id, 'expected the ID token subject to be the user id');
    assert.equal(await readClaim(page, 'iss'), gatehouse.baseUrl, 'expected the ID token issuer to be Gatehouse');
    assert.equal(await readClaim(page, 'aud'), clientId, 'expected the ID token audience to be the client');
    assert.equal(await readClaim(page, 'amr'), '["pwd"]', 'expected the ID token to name password authentication');
    assert.match(await readClaim(page, 'auth_time'), /^\d+$/, 'expected an auth_time in seconds');
    assert.match(await readClaim(page, 'exp'), /^\d+$/, 'expected an exp in seconds');
    assert.ok((await readClaim(page, 'nonce')).length > 0, 'expected the nonce the consumer sent');

    const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
    assert.equal(userinfo.preferred_username, alice.username, 'expected the userinfo to contain the username');
    assert.equal(userinfo.sub, alice.id, 'expected the userinfo subject to be the user id');
    assert.equal(userinfo.email, alice.email, 'expected the userinfo to contain the email address');
    assert.equal(userinfo.name, alice.name, 'expected the userinfo to contain the name');
  });

  it('reconnects without showing Gatehouse pages', async () => {
    const firstNonce = await readClaim(page, 'nonce');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await assertHeading(page, 'Not connected', 'expected the consumer to be disconnected');

    const requested: string[] = [];
    const committed: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest()) requested.push(request.url());
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) committed.push(frame.url());
    });
    await page.getByRole('button', { name: 'Connect with Gatehouse' }).click();
    await assertHeading(page, 'Signed in with OpenID Connect', 'expected the second Connect to end signed in');

    const gatehousePaths = requested
      .filter((url) => url.startsWith(`${gatehouse.baseUrl}/`))
      .map((url) => new URL(url).pathname);
    assert.deepEqual(gatehousePaths, ['/authorize'], 'expected the only Gatehouse navigation to be /authorize, which redirects at once');
    const shownOrigins = new Set(committed.map((url) => new URL(url).origin));
    assert.deepEqual([...shownOrigins], [consumer.url], `expected only consumer pages to be shown, got ${committed.join(', ')}`);
    const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
    assert.equal(userinfo.preferred_username, alice.username, 'expected the userinfo to contain the username again');
    assert.equal(await readClaim(page, 'sub'), alice.id, 'expected the new ID token subject to be the user id');
    assert.notEqual(await readClaim(page, 'nonce'), firstNonce, 'expected a new nonce for the second sign-in');
    page.removeAllListeners('request');
    page.removeAllListeners('framenavigated');
  });

  it('signs out at Gatehouse and checks state', async () => {
    const nonce = await readClaim(page, 'nonce');
    const [endSessionRequest] = await Promise.all([
      page.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith(`${gatehouse.baseUrl}/end-session?`)),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    await page.waitForURL(`${consumer.url}/signed-out?*`);
    await assertHeading(page, 'Signed out of Gatehouse', 'expected the consumer to confirm the sign-out');

    const sent = new URL(endSessionRequest.url()).searchParams;
    const hint = decodeJwtPayload(sent.get('id_token_hint'));
    assert.equal(hint.nonce, nonce, 'expected the ID token shown on the page as id_token_hint');
    assert.equal(hint.sub, alice.id, 'expected the id_token_hint subject to be the user id');
    assert.equal(sent.get('client_id'), clientId, 'expected the client_id with the logout request');
    assert.equal(sent.get('post_logout_redirect_uri'), consumer.postLogoutRedirectUri, 'expected the registered post-logout redirect URI');
    const sentState = sent.get('state');
    assert.ok(sentState !== null, 'expected a state with the logout request');
    assert.ok(sentState.length > 0, 'expected a non-empty state with the logout request');
    assert.equal(new URL(page.url()).searchParams.get('state'), sentState, 'expected Gatehouse to return the state it was sent');

    const cookieNames = (await context.cookies(gatehouse.baseUrl)).map((cookie) => cookie.name);
    assert.ok(!cookieNames.includes(SESSION_COOKIE), `expected no ${SESSION_COOKIE} cookie after sign-out, got ${cookieNames.join(', ')}`);

    // The state is accepted once, so the same address again is rejected.
    const replay = await page.goto(page.url());
    assert.equal(replay?.status(), 400, 'expected a second visit to the post-logout redirect URI to return 400');
    await assertHeading(page, 'Sign-out not confirmed', 'expected the consumer to reject a state it no longer expects');
    await page.goto(consumer.url);
    await assertHeading(page, 'Not connected', 'expected the consumer to be signed out');
  });

  it('asks for the password after sign-out', async () => {
    await page.getByRole('button', { name: 'Connect with Gatehouse' }).click();
    await page.waitForURL(`${gatehouse.baseUrl}/login?request=*`);
    assert.match(await page.locator('.lead').innerText(), /Lena's Photo Album/, 'expected the login page after the session ended');

    await page.locator('#username').fill(alice.username);
    await page.locator('#password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Consent was given before and is kept, so the login leads straight back to the consumer.
    await page.waitForURL(`${consumer.url}/`);
    await assertHeading(page, 'Signed in with OpenID Connect', 'expected the consumer to be signed in again');
    assert.equal(await readClaim(page, 'sub'), alice.id, 'expected the ID token subject to be the user id again');
  });

  it('shows lost access after removal in Gatehouse', async () => {
    await page.goto(`${gatehouse.baseUrl}/connected-apps`);
    await assertHeading(page, 'Connected apps', 'expected Gatehouse\'s connected apps page');
    const app = page.locator('section.connected-app', { hasText: CLIENT_NAME });
    await app.getByRole('button', { name: 'Remove access' }).click();
    await page.waitForURL(`${gatehouse.baseUrl}/connected-apps/revoke`);
    assert.match(await page.getByRole('status').innerText(), /no longer has access/, 'expected Gatehouse to confirm the removal');

    await page.goto(consumer.url);
    await assertHeading(page, 'Access removed', 'expected the consumer to notice that its token was revoked');
    assert.equal(await page.locator('#error-code').innerText(), 'invalid_token', 'expected the userinfo error code');
    await page.goto(consumer.url);
    await assertHeading(page, 'Not connected', 'expected the consumer to forget the revoked connection');
  });

  it('shows access_denied after Deny', async () => {
    const otherContext = await browser.newContext();
    otherContext.setDefaultTimeout(15_000);
    const otherPage = await otherContext.newPage();
    try {
      await otherPage.goto(consumer.url);
      await otherPage.getByRole('button', { name: 'Connect with Gatehouse' }).click();
      await otherPage.waitForURL(`${gatehouse.baseUrl}/login?request=*`);
      await otherPage.locator('#username').fill(bob.username);
      await otherPage.locator('#password').fill(bob.password);
      await otherPage.getByRole('button', { name: 'Sign in' }).click();
      await otherPage.waitForURL(`${gatehouse.baseUrl}/consent?request=*`);

      await otherPage.getByRole('button', { name: 'Deny' }).click();
      await otherPage.waitForURL(`${consumer.url}/callback?*`);
      await assertHeading(otherPage, 'Connection denied', 'expected the consumer to say that the connection was denied');
      assert.equal(await otherPage.locator('#error-code').innerText(), 'access_denied', 'expected the error code access_denied');

      await otherPage.goto(consumer.url);
      await assertHeading(otherPage, 'Not connected', 'expected the consumer to stay disconnected after Deny');
    } finally {
      await otherContext.close();
    }
  });
});

/** Returns the text of an ID token claim in the connected page's claims table. */
async function readClaim(page: Page, name: string): Promise<string> {
  return (await page.locator(`#id-token-claims td[data-claim="${name}"] code`).innerText()).trim();
}

/** Decodes the payload of a compact JWS without verifying it, to compare claims the test already trusts. */
function decodeJwtPayload(jwt: string | null): Record<string, unknown> {
  assert.ok(jwt !== null, 'expected a JWT, got none');
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'expected a compact JWS with three parts');
  return JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Waits for the page's h1 to read `expected`, and fails with `message` and the heading shown when it does not. */
async function assertHeading(page: Page, expected: string, message: string): Promise<void> {
  const heading = page.getByRole('heading', { level: 1 });
  try {
    await heading.filter({ hasText: expected }).waitFor({ timeout: 10_000 });
  } catch {
    const actual = await heading.innerText({ timeout: 1000 }).catch(() => '(no h1)');
    assert.fail(`${message}: the page heading is '${actual}' at ${page.url()}`);
  }
  assert.equal(await heading.innerText(), expected, message);
}
