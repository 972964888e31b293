import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession } from './browser-session.js';
import { authorize, exchangeCode, requestToken, type AuthorizationParameters } from './flows.js';
import type { TestClient, TestGatehouse, TestUser } from './gatehouse.js';
import { countRows } from './rows.js';
import { getUserinfo } from './token-requests.js';

/** A successful token response, parsed. */
export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** Asserts an OAuth JSON error (RFC 6749 section 5.2) with its status and code, uncached and without tokens. */
export function assertTokenError(response: LightMyRequestResponse, status: number, error: string, message: string): void {
  assert.equal(response.statusCode, status, `${message}: status ${status}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/json/, `${message}: a JSON body`);
  const body = response.json();
  assert.equal(body.error, error, `${message}: error ${error}: ${response.body}`);
  assert.equal(typeof body.error_description, 'string', `${message}: an error_description`);
  assert.equal(body.access_token, undefined, `${message}: no access token`);
  assert.equal(body.refresh_token, undefined, `${message}: no refresh token`);
  assert.equal(response.headers['cache-control'], 'no-store', `${message}: Cache-Control: no-store`);
  assert.equal(response.headers.pragma, 'no-cache', `${message}: Pragma: no-cache`);
}

/** Parses a 200 token response, failing with the body otherwise. */
export function tokenSetOf(response: LightMyRequestResponse, message = 'token request'): TokenSet {
  assert.equal(response.statusCode, 200, `${message}: ${response.body}`);
  return response.json() as TokenSet;
}

/** Runs the authorization code flow in `browser` and redeems the code. */
export async function obtainTokens(
  gatehouse: TestGatehouse,
  browser: BrowserSession,
  client: TestClient,
  user: Pick<TestUser, 'username' | 'password'>,
  parameters: AuthorizationParameters = {},
): Promise<TokenSet> {
  const authorization = await authorize(browser, client, user, parameters);
  return tokenSetOf(await exchangeCode(gatehouse, client, authorization), 'code exchange');
}

/** Sends a refresh token request as `client` (Basic for confidential clients, client_id for public ones). */
export function refresh(
  gatehouse: TestGatehouse,
  client: TestClient,
  refreshToken: string,
  extra: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return requestToken(gatehouse, client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
}

/**
 * True when the userinfo endpoint takes the access token as live: 200, or 403 `insufficient_scope`
 * for a live token without `openid` (RFC 6750 section 3.1). False on 401 `invalid_token`.
 */
export async function accessTokenWorks(gatehouse: TestGatehouse, accessToken: string): Promise<boolean> {
  const response = await getUserinfo(gatehouse, accessToken);
  if (response.statusCode === 200) return true;
  if (response.statusCode === 403 && response.json().error === 'insufficient_scope') return true;
  if (response.statusCode === 401 && response.json().error === 'invalid_token') return false;
  throw new Error(`userinfo answered ${response.statusCode}: ${response.body}`);
}

/** Posts a body exactly as given, for repeated parameters and odd encodings. */
export function postRaw(
  gatehouse: TestGatehouse,
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return gatehouse.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: body,
  });
}

/** Row counts of everything a token request or an authorization may create. */
export async function issuedRowCounts(gatehouse: TestGatehouse): Promise<Record<string, number>> {
  return {
    authorization_codes: await countRows(gatehouse, 'authorization_codes'),
    access_tokens: await countRows(gatehouse, 'access_tokens'),
    refresh_tokens: await countRows(gatehouse, 'refresh_tokens'),
    token_families: await countRows(gatehouse, 'token_families'),
  };
}

/** The payload of a JWT, decoded without verification. */
export function jwtPayload(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1];
  if (payload === undefined) throw new Error(`not a JWT: ${jwt.slice(0, 40)}`);
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
