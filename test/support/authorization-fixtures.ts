import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, createPkce, locationOf } from './browser-session.js';
import { startTestGatehouse, type StartOptions, type TestClient, type TestGatehouse, type TestUser } from './gatehouse.js';
import { countRows } from './rows.js';

/**
 * The clients and users that the security tests share: two confidential clients, a public
 * browser client with an https redirect URI, a native public client on the loopback interface,
 * and two users.
 */
export interface SecurityFixtures {
  gatehouse: TestGatehouse;
  /** Confidential, client_secret_basic, redirect URI https://app.example.com/cb. */
  conf1: TestClient;
  /** A second confidential client, redirect URI https://other.example.com/cb. */
  conf2: TestClient;
  /** Public client with PKCE and an https redirect URI, https://spa.example.com/cb. */
  pub1: TestClient;
  /** Public native client registered as http://127.0.0.1/cb: any port, nothing else may vary. */
  nat1: TestClient;
  alice: TestUser;
  bob: TestUser;
}

export const FIXTURE_SCOPES = ['openid', 'profile', 'email', 'api:read', 'offline_access'];

export async function startSecurityFixtures(options: StartOptions = {}): Promise<SecurityFixtures> {
  const gatehouse = await startTestGatehouse(options);
  const conf1 = await gatehouse.createClient({
    name: 'Confidential App One',
    redirectUris: ['https://app.example.com/cb'],
    scopes: FIXTURE_SCOPES,
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  const conf2 = await gatehouse.createClient({
    name: 'Confidential App Two',
    redirectUris: ['https://other.example.com/cb'],
    scopes: FIXTURE_SCOPES,
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  const pub1 = await gatehouse.createClient({
    name: 'Single Page App',
    public: true,
    redirectUris: ['https://spa.example.com/cb'],
    scopes: FIXTURE_SCOPES,
  });
  const nat1 = await gatehouse.createClient({
    name: 'Native App',
    public: true,
    redirectUris: ['http://127.0.0.1/cb'],
    scopes: FIXTURE_SCOPES,
  });
  const alice = await gatehouse.createUser({ username: 'alice', name: 'Alice', email: 'alice@example.com' });
  const bob = await gatehouse.createUser({ username: 'bob', name: 'Bob', email: 'bob@example.com' });
  return { gatehouse, conf1, conf2, pub1, nat1, alice, bob };
}

/**
 * Returns the entries of a valid OpenID Connect authorization request for the client, with
 * overrides: a string replaces a value and undefined removes the parameter.
 */
export function requestEntries(
  client: TestClient,
  overrides: Record<string, string | undefined> = {},
): { entries: Array<[string, string]>; verifier: string } {
  const pkce = createPkce();
  const base: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid api:read',
    state: 'state-1234',
    nonce: 'nonce-5678',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(base)) if (value !== undefined) entries.push([name, value]);
  return { entries, verifier: pkce.verifier };
}

/** Builds /authorize?... from exact entries, so a test can repeat or malform parameters. */
export function authorizePath(entries: Array<[string, string]>): string {
  return `/authorize?${new URLSearchParams(entries)}`;
}

/** Builds /authorize?... for the client with overrides, as requestEntries describes. */
export function authorizeUrlFor(client: TestClient, overrides: Record<string, string | undefined> = {}): string {
  return authorizePath(requestEntries(client, overrides).entries);
}

/**
 * Asserts Gatehouse's own error page: a 4xx HTML page with no Location header, so the browser
 * is sent nowhere.
 */
export function assertErrorPage(response: LightMyRequestResponse, label: string): void {
  assert.ok(response.statusCode >= 400, `${label}: expected a 4xx page, got ${response.statusCode}`);
  assert.ok(response.statusCode < 500, `${label}: expected a 4xx page, got ${response.statusCode}`);
  assert.equal(response.headers.location, undefined, `${label}: no Location header`);
  assert.match(String(response.headers['content-type']), /^text\/html/, `${label}: an HTML page`);
}

/**
 * Asserts a 302 or 303 redirect to the registered redirect URI with the error, the state, the
 * issuer and no code. Returns the callback URL.
 */
export function assertErrorRedirect(
  gatehouse: TestGatehouse,
  response: LightMyRequestResponse,
  expected: { redirectUri: string; error: string; state: string | undefined },
): URL {
  assert.ok([302, 303].includes(response.statusCode), `expected a redirect, got ${response.statusCode}: ${response.body.slice(0, 200)}`);
  const location = new URL(locationOf(response));
  assert.equal(`${location.origin}${location.pathname}`, expected.redirectUri, 'the error goes to the registered redirect URI');
  assert.equal(location.searchParams.get('error'), expected.error, 'error code');
  assert.equal(location.searchParams.get('state') ?? undefined, expected.state, 'state is returned unchanged');
  assert.equal(location.searchParams.get('iss'), gatehouse.config.issuer, 'iss names the issuer');
  assert.equal(location.searchParams.has('code'), false, 'no code in an error redirect');
  assert.equal(location.hash, '', 'no fragment');
  return location;
}

/** Counts the rows of issued codes and tokens, to check that a rejected request issued none. */
export async function countIssued(gatehouse: TestGatehouse): Promise<number> {
  const counts = await Promise.all([
    countRows(gatehouse, 'authorization_codes'),
    countRows(gatehouse, 'access_tokens'),
    countRows(gatehouse, 'refresh_tokens'),
  ]);
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Sends a request with the session's cookies and extra headers, without updating the cookie jar. */
export function sendWithCookies(
  gatehouse: TestGatehouse,
  browser: BrowserSession,
  request: { method: 'GET' | 'POST' | 'HEAD' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH'; url: string; headers?: Record<string, string>; form?: Record<string, string> },
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...request.headers };
  if (browser.cookies.size > 0) headers.cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  if (request.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  return gatehouse.app.inject({
    method: request.method,
    url: request.url,
    headers,
    payload: request.form === undefined ? undefined : new URLSearchParams(request.form).toString(),
  });
}

/** Returns the authorization response parameters of a redirect to the client. */
export function callbackOf(response: LightMyRequestResponse): URL {
  return new URL(locationOf(response));
}
