import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, createPkce, formValue, locationOf } from './browser-session.js';
import type { TestClient, TestGatehouse, TestUser } from './gatehouse.js';

export interface AuthorizationParameters {
  scope?: string;
  state?: string;
  prompt?: string;
  [name: string]: string | undefined;
}

/** Builds an authorization request URL (path and query) for a client, with a fresh PKCE pair. */
export function authorizationUrl(
  client: TestClient,
  parameters: AuthorizationParameters = {},
): { url: string; verifier: string; state: string } {
  const pkce = createPkce();
  const state = parameters.state ?? `state-${Math.random().toString(36).slice(2)}`;
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'profile email',
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) query.delete(name);
    else query.set(name, value);
  }
  return { url: `/authorize?${query}`, verifier: pkce.verifier, state };
}

/** Submits the login form found at a /login location. */
export async function submitLogin(
  browser: BrowserSession,
  loginLocation: string,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<LightMyRequestResponse> {
  const page = await browser.get(loginLocation);
  if (page.statusCode !== 200) throw new Error(`login page answered ${page.statusCode}: ${page.body.slice(0, 300)}`);
  const form: Record<string, string> = {
    csrf_token: formValue(page.body, 'csrf_token'),
    username: user.username,
    password: user.password,
  };
  const requestId = new URL(loginLocation, 'http://localhost').searchParams.get('request');
  if (requestId !== null) form.request = requestId;
  return browser.postForm('/login', form);
}

/** Submits the consent form found at a /consent location with the given decision. */
export async function submitConsent(
  browser: BrowserSession,
  consentLocation: string,
  decision: 'allow' | 'deny',
): Promise<LightMyRequestResponse> {
  const page = await browser.get(consentLocation);
  if (page.statusCode !== 200) throw new Error(`consent page answered ${page.statusCode}: ${page.body.slice(0, 300)}`);
  return browser.postForm('/consent', {
    csrf_token: formValue(page.body, 'csrf_token'),
    request: formValue(page.body, 'request'),
    decision,
  });
}

export interface CompletedAuthorization {
  code: string;
  verifier: string;
  state: string;
  callback: URL;
}

/**
 * Walks the whole authorization request in a browser session: the login page when needed, the
 * consent page when needed (answered with Allow), and returns the code from the client callback.
 */
export async function authorize(
  browser: BrowserSession,
  client: TestClient,
  user: Pick<TestUser, 'username' | 'password'>,
  parameters: AuthorizationParameters = {},
): Promise<CompletedAuthorization> {
  const request = authorizationUrl(client, parameters);
  let response = await browser.get(request.url);
  let location = locationOf(response);
  if (location.startsWith('/login')) {
    response = await submitLogin(browser, location, user);
    location = locationOf(response);
  }
  if (location.startsWith('/consent')) {
    response = await submitConsent(browser, location, 'allow');
    location = locationOf(response);
  }
  const callback = new URL(location);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`the client callback has no code: ${location}`);
  return { code, verifier: request.verifier, state: request.state, callback };
}

/** Sends a token request with client_secret_basic (or client_id in the body for public clients). */
export function requestToken(
  gatehouse: TestGatehouse,
  client: TestClient,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (client.secret === undefined) {
    body.set('client_id', client.clientId);
  } else {
    const credentials = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return gatehouse.app.inject({ method: 'POST', url: '/token', headers, payload: body.toString() });
}

/** Exchanges a code from `authorize` for tokens and returns the parsed response. */
export async function exchangeCode(
  gatehouse: TestGatehouse,
  client: TestClient,
  authorization: CompletedAuthorization,
): Promise<LightMyRequestResponse> {
  return requestToken(gatehouse, client, {
    grant_type: 'authorization_code',
    code: authorization.code,
    redirect_uri: client.redirectUri,
    code_verifier: authorization.verifier,
  });
}
