import type { Client, TokenEndpointAuthMethod } from './client.js';
import { InvalidClient, InvalidRequest } from './errors.js';
import type { Parameters } from './params.js';
import { secretMatchesHash } from './secrets.js';

export interface PresentedClientCredentials {
  clientId: string;
  secret: string | undefined;
  method: TokenEndpointAuthMethod;
}

/**
 * Quotes a caller-supplied client id for logs and the audit table, cut to 64 characters so an
 * invented id of any length costs little to record.
 */
export function quoteCallerId(id: string): string {
  return id.length <= 64 ? `'${id}'` : `'${id.slice(0, 64)}...' (${id.length} characters)`;
}

/** The one description for every failed client authentication; the reason is only logged. */
export const CLIENT_AUTHENTICATION_FAILED = 'client authentication failed';

/**
 * Reads client credentials from the Authorization header or the form body (RFC 6749 section 2.3.1).
 * A request may use one method only. Credentials in the query string are never read, because the
 * caller passes only the body's parameters.
 */
export function extractClientCredentials(
  authorizationHeader: string | undefined,
  body: Parameters,
): PresentedClientCredentials {
  const bodyClientId = body.get('client_id');
  const bodySecret = body.get('client_secret');
  // RFC 7521 assertions are a method of their own, which Gatehouse does not support.
  const assertion = body.has('client_assertion') || body.has('client_assertion_type');

  if (authorizationHeader !== undefined && /^basic /i.test(authorizationHeader)) {
    if (bodySecret !== undefined || assertion) {
      throw new InvalidRequest('the client must use only one authentication method');
    }
    const { clientId, secret } = decodeBasicCredentials(authorizationHeader.slice(6).trim());
    if (bodyClientId !== undefined && bodyClientId !== clientId) {
      throw new InvalidRequest("'client_id' in the body does not match the Authorization header");
    }
    return { clientId, secret, method: 'client_secret_basic' };
  }

  if (bodyClientId === undefined) {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'no client credentials in the request');
  }
  if (assertion) {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'client assertions are not supported');
  }
  if (bodySecret !== undefined) {
    return { clientId: bodyClientId, secret: bodySecret, method: 'client_secret_post' };
  }
  return { clientId: bodyClientId, secret: undefined, method: 'none' };
}

/**
 * Decodes HTTP Basic credentials. RFC 6749 section 2.3.1 form-urlencodes the client id and secret
 * before Base64, so both are decoded after the split at the first colon.
 */
function decodeBasicCredentials(encoded: string): { clientId: string; secret: string } {
  const fail = (detail: string): never => {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, detail);
  };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) fail('Basic credentials are not Base64');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) fail('Basic credentials have no colon');
  try {
    const clientId = decodeURIComponent(decoded.slice(0, separator).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(separator + 1).replace(/\+/g, ' '));
    if (clientId === '' || secret === '') fail('Basic credentials have an empty client id or secret');
    if (clientId.includes('\u0000') || secret.includes('\u0000')) fail('Basic credentials contain a NUL character');
    return { clientId, secret };
  } catch (error) {
    if (error instanceof InvalidClient) throw error;
    return fail('Basic credentials are not valid form-urlencoding');
  }
}

/**
 * Checks the presented credentials against the registered client. Unknown clients, wrong secrets,
 * another method than the registered one, a secret from a public client and a missing secret all
 * fail with the same invalid_client response.
 */
export function authenticateClient(presented: PresentedClientCredentials, client: Client | undefined): Client {
  const fail = (detail: string): never => {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, detail);
  };

  if (client === undefined) {
    // Hash the presented secret anyway, so an unknown client costs the same time as a wrong secret.
    if (presented.secret !== undefined) secretMatchesHash(presented.secret, '');
    return fail(`unknown client ${quoteCallerId(presented.clientId)}`);
  }
  if (client.disabled) return fail(`client '${client.id}' is disabled`);
  // The registered method is the only one accepted (OpenID Connect Core section 9), so a secret
  // meant for the Authorization header is refused in a form body, where logs may keep it.
  if (presented.method !== client.tokenEndpointAuthMethod) {
    return fail(`client '${client.id}' is registered for ${client.tokenEndpointAuthMethod}, not ${presented.method}`);
  }
  if (presented.method === 'none') return client;
  if (client.secretHash === null || presented.secret === undefined) {
    return fail(`client '${client.id}' has no secret to compare`);
  }
  if (!secretMatchesHash(presented.secret, client.secretHash)) {
    return fail(`wrong secret for client '${client.id}'`);
  }
  return client;
}
