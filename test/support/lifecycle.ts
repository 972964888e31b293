import type { LightMyRequestResponse } from 'fastify';
import type { TestClient, TestGatehouse } from './gatehouse.js';
import { basicAuthorization } from './token-requests.js';

/** Credentials of a caller at the revocation or introspection endpoint: a client or a resource server. */
export interface CallerCredentials {
  id: string;
  /** Undefined for a public client, which sends client_id in the body. */
  secret: string | undefined;
}

export function clientCredentials(client: TestClient): CallerCredentials {
  return { id: client.clientId, secret: client.secret };
}

/** Posts a form to an endpoint with client_secret_basic, or client_id in the body without a secret. */
export function postAuthenticatedForm(
  gatehouse: TestGatehouse,
  url: string,
  caller: CallerCredentials,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (caller.secret === undefined) body.set('client_id', caller.id);
  else headers.authorization = basicAuthorization(caller.id, caller.secret);
  return gatehouse.app.inject({ method: 'POST', url, headers, payload: body.toString() });
}

export function revoke(
  gatehouse: TestGatehouse,
  caller: CallerCredentials,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return postAuthenticatedForm(gatehouse, '/revoke', caller, form);
}

/** Introspects a token and returns the parsed body, after checking the status and Cache-Control. */
export async function introspect(
  gatehouse: TestGatehouse,
  caller: CallerCredentials,
  token: string,
  hint?: string,
): Promise<Record<string, unknown>> {
  const form: Record<string, string> = { token };
  if (hint !== undefined) form.token_type_hint = hint;
  const response = await postAuthenticatedForm(gatehouse, '/introspect', caller, form);
  if (response.statusCode !== 200) throw new Error(`introspection answered ${response.statusCode}: ${response.body}`);
  if (response.headers['cache-control'] !== 'no-store') throw new Error('the introspection response may be cached');
  return response.json();
}
