import type { LightMyRequestResponse } from 'fastify';
import type { TestClient, TestGatehouse } from './gatehouse.js';

/** Builds the Authorization header of client_secret_basic, form-urlencoding the id and secret first. */
export function basicAuthorization(clientId: string, secret: string): string {
  const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** Posts a form to the token endpoint exactly as given: no credentials are added. */
export function postTokenForm(
  gatehouse: TestGatehouse,
  form: Record<string, string>,
  options: { headers?: Record<string, string>; url?: string } = {},
): Promise<LightMyRequestResponse> {
  return gatehouse.app.inject({
    method: 'POST',
    url: options.url ?? '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    payload: new URLSearchParams(form).toString(),
  });
}

/** Sends a token request with client_secret_post: client_id and client_secret in the body. */
export function requestTokenWithPost(
  gatehouse: TestGatehouse,
  client: TestClient,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  if (client.secret === undefined) throw new Error('client_secret_post needs a confidential client');
  return postTokenForm(gatehouse, { ...form, client_id: client.clientId, client_secret: client.secret });
}

/** Calls the userinfo endpoint with a bearer token in the Authorization header. */
export function getUserinfo(gatehouse: TestGatehouse, accessToken: string): Promise<LightMyRequestResponse> {
  return gatehouse.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${accessToken}` },
  });
}
