import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { browserSkipReason, CHROMIUM_PATH, launchChromium } from '../support/chromium.js';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/client.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

const skipReason = browserSkipReason('the device flow browser tests');

const CLIENT_NAME = 'Living Room TV';

describe('device flow in Chromium', { skip: skipReason, timeout: 120_000 }, () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let browser: Browser;

  /** Posts a form to Gatehouse over its real port, as the device would. */
  async function postForm(path: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${gatehouse.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, client_id: client.clientId }).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function startOnDevice(): Promise<{ deviceCode: string; userCode: string; completeUri: string }> {
    const started = await postForm('/device_authorization', { scope: 'profile' });
    assert.equal(started.status, 200, `device authorization: ${JSON.stringify(started.body)}`);
    return {
      deviceCode: String(started.body.device_code),
      userCode: String(started.body.user_code),
      completeUri: String(started.body.verification_uri_complete),
    };
  }

  async function signIn(page: Page): Promise<void> {
    await page.waitForURL(`${gatehouse.baseUrl}/login?return_to=*`);
    await page.locator('#username').fill(user.username);
    await page.locator('#password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `expected Chromium at ${CHROMIUM_PATH}, because GATEHOUSE_REQUIRE_BROWSER=1`);
    gatehouse = await startTestGatehouse({ listen: true });
    user = await gatehouse.createUser({ username: 'tess' });
    client = await gatehouse.createClient({
      name: CLIENT_NAME,
      public: true,
      redirectUris: ['http://127.0.0.1/callback'],
      grantTypes: [DEVICE_CODE_GRANT_TYPE],
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await gatehouse?.stop();
  });

  it('approves a code typed on /device', async () => {
    const device = await startOnDevice();
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    try {
      const page = await context.newPage();
      await page.goto(`${gatehouse.baseUrl}/device`);
      await signIn(page);
      await page.waitForURL(`${gatehouse.baseUrl}/device`);
      await page.locator('#user_code').fill(device.userCode.toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByRole('heading', { level: 1, name: `${CLIENT_NAME} wants to access your account` }).waitFor();
      assert.match(await page.locator('main').innerText(), new RegExp(device.userCode), 'the consent page repeats the code');
      const pending = await postForm('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.deviceCode });
      assert.equal(pending.body.error, 'authorization_pending', 'the device waits while the page is open');

      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByRole('heading', { level: 1, name: 'Device connected' }).waitFor();
      gatehouse.clock.advance(5);
      const issued = await postForm('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.deviceCode });
      assert.equal(issued.status, 200, `the device gets tokens: ${JSON.stringify(issued.body)}`);
      assert.equal(issued.body.scope, 'profile', 'with the approved scope');
    } finally {
      await context.close();
    }
  });

  it('denies through verification_uri_complete', async () => {
    const device = await startOnDevice();
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    try {
      const page = await context.newPage();
      await page.goto(device.completeUri);
      await signIn(page);
      await page.waitForURL(`${gatehouse.baseUrl}/device?user_code=*`);
      assert.equal(await page.locator('#user_code').inputValue(), device.userCode, 'the code is filled in');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
      const denied = await postForm('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.deviceCode });
      assert.equal(denied.status, 400, 'status 400');
      assert.equal(denied.body.error, 'access_denied', 'the device learns of the denial');
    } finally {
      await context.close();
    }
  });
});
