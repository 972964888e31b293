import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/client.js';
import { BrowserSession, formValue, locationOf } from './browser-session.js';
import { requestToken } from './flows.js';
import type { TestClient, TestGatehouse, TestUser } from './gatehouse.js';
import { clientCredentials, postAuthenticatedForm } from './lifecycle.js';

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** Starts a device authorization for a client and returns the parsed response. */
export async function startDeviceAuthorization(
  gatehouse: TestGatehouse,
  client: TestClient,
  form: Record<string, string> = { scope: 'profile' },
): Promise<DeviceAuthorizationResponse> {
  const response = await postAuthenticatedForm(gatehouse, '/device_authorization', clientCredentials(client), form);
  assert.equal(response.statusCode, 200, `device authorization: ${response.body}`);
  return response.json();
}

/** Polls the token endpoint once with the device code. */
export function pollToken(gatehouse: TestGatehouse, client: TestClient, deviceCode: string): Promise<LightMyRequestResponse> {
  return requestToken(gatehouse, client, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode });
}

/**
 * Walks the /device pages as the user: logs in when asked, types the user code, and answers the
 * consent page. Returns the last response, the page that confirms the decision.
 */
export async function decideOnDevicePage(
  browser: BrowserSession,
  user: Pick<TestUser, 'username' | 'password'>,
  userCode: string,
  decision: 'allow' | 'deny',
): Promise<LightMyRequestResponse> {
  let page = await browser.get('/device');
  if (page.statusCode === 303) {
    const login = await logInFromRedirect(browser, locationOf(page), user);
    page = await browser.get(locationOf(login));
  }
  assert.equal(page.statusCode, 200, `the code entry page: ${page.body.slice(0, 200)}`);
  const consent = await browser.postForm('/device', { csrf_token: formValue(page.body, 'csrf_token'), user_code: userCode });
  assert.equal(consent.statusCode, 200, `the device consent page: ${consent.body.slice(0, 300)}`);
  return browser.postForm('/device/decision', {
    csrf_token: formValue(consent.body, 'csrf_token'),
    user_code: formValue(consent.body, 'user_code'),
    decision,
  });
}

/** Submits the login form at a /login?return_to=... location, as a browser would with every hidden field. */
export async function logInFromRedirect(
  browser: BrowserSession,
  loginLocation: string,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<LightMyRequestResponse> {
  const page = await browser.get(loginLocation);
  assert.equal(page.statusCode, 200, `the login page: ${page.body.slice(0, 200)}`);
  const login = await browser.postForm('/login', {
    csrf_token: formValue(page.body, 'csrf_token'),
    return_to: formValue(page.body, 'return_to'),
    username: user.username,
    password: user.password,
  });
  assert.equal(login.statusCode, 303, `the login: ${login.body.slice(0, 200)}`);
  return login;
}
