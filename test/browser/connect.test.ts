import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startConsumer, type Consumer } from '../../examples/consumer/consumer.js';
import { BUILTIN_SCOPES } from '../../src/core/scope.js';
import { findFreePort, startTestGatehouse, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

/** Debian's Chromium package. playwright-core comes without a browser and the tests do not download one. */
const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const browserRequired = process.env.GATEHOUSE_REQUIRE_BROWSER === '1';
const skipReason =
  existsSync(CHROMIUM_PATH) || browserRequired
    ? false
    : `${CHROMIUM_PATH} is missing: install Debian's chromium package, or set GATEHOUSE_REQUIRE_BROWSER=1 to fail instead`;
if (skipReason !== false) console.log(`SKIPPED: the browser tests (${skipReason})`);

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

  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `expected Chromium at ${CHROMIUM_PATH}, because GATEHOUSE_REQUIRE_BROWSER=1`);
    gatehouse = await startTestGatehouse({ listen: true });
    alice = await gatehouse.createUser({ username: 'alice', name: 'Alice Example', email: 'alice@example.com' });
    bob = await gatehouse.createUser({ username: 'bob' });

    const port = await findFreePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const client = await gatehouse.createClient({ name: CLIENT_NAME, redirectUris: [redirectUri] });
    assert.ok(client.secret !== undefined, 'expected a confidential client with a secret');
    consumer = await startConsumer({
      issuer: gatehouse.baseUrl,
      clientId: client.clientId,
      clientSecret: client.secret,
      port,
      host: '127.0.0.1',
    });
    assert.equal(consumer.redirectUri, redirectUri, 'expected the consumer to use the registered redirect URI');

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
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
    const scopes = await page.locator('ul.scopes li').allInnerTexts();
    assert.deepEqual(
      scopes.map((text) => text.trim()),
      [BUILTIN_SCOPES.profile, BUILTIN_SCOPES.email, BUILTIN_SCOPES.offline_access],
      'expected the requested scopes profile and email, and the refresh token notice',
    );
  });

  it('connects and shows userinfo after Allow', async () => {
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${consumer.url}/`);

    await assertHeading(page, 'Connected to Gatehouse', 'expected the consumer to show that it is connected');
    const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
    assert.equal(userinfo.preferred_username, alice.username, 'expected the userinfo to contain the username');
    assert.equal(userinfo.sub, alice.id, 'expected the userinfo subject to be the user id');
    assert.equal(userinfo.email, alice.email, 'expected the userinfo to contain the email address');
    assert.equal(userinfo.name, alice.name, 'expected the userinfo to contain the name');
  });

  it('reconnects without showing Gatehouse pages', async () => {
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
    await assertHeading(page, 'Connected to Gatehouse', 'expected the second Connect to end connected');

    const gatehousePaths = requested
      .filter((url) => url.startsWith(`${gatehouse.baseUrl}/`))
      .map((url) => new URL(url).pathname);
    assert.deepEqual(gatehousePaths, ['/authorize'], 'expected the only Gatehouse navigation to be /authorize, which redirects at once');
    const shownOrigins = new Set(committed.map((url) => new URL(url).origin));
    assert.deepEqual([...shownOrigins], [consumer.url], `expected only consumer pages to be shown, got ${committed.join(', ')}`);
    const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
    assert.equal(userinfo.preferred_username, alice.username, 'expected the userinfo to contain the username again');
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
