import type { AccessTokenFormat, Client } from './client.js';
import { InvalidScope, InvalidTarget } from './errors.js';

/** Resource server ids start with this, so they can never be confused with a client id. */
export const RESOURCE_SERVER_ID_PREFIX = 'rs_';

/** A protected API registered with Gatehouse. */
export interface ResourceServer {
  id: string;
  name: string;
  /** SHA-256 of the resource server's secret, for introspection. */
  secretHash: string;
  /** The resource indicator that names the server; the `aud` of its tokens. */
  audience: string;
  /** The scopes an access token for this server may carry. */
  allowedScopes: string[];
  /** Overrides the client's access token format when set. */
  accessTokenFormat: AccessTokenFormat | undefined;
  disabled: boolean;
}

/** Looks up resource servers by audience. Implemented by the storage layer. */
export interface ResourceServerDirectory {
  findByAudience(audience: string): Promise<ResourceServer | undefined>;
}

/**
 * Checks the syntax of a `resource` parameter (RFC 8707 section 2): an absolute URI without a
 * fragment. Only one value is supported, so a repeated parameter fails with invalid_target too.
 */
export function parseResourceParameter(value: string | undefined, repeated: boolean): string | undefined {
  if (repeated) throw new InvalidTarget("only one 'resource' parameter is supported");
  if (value === undefined) return undefined;
  if (!isAbsoluteUriWithoutFragment(value)) {
    throw new InvalidTarget("'resource' must be an absolute URI without a fragment");
  }
  return value;
}

/** Checks the syntax that a registered audience must have. Returns the problem, or undefined. */
export function findAudienceProblem(value: string): string | undefined {
  if (!isAbsoluteUriWithoutFragment(value)) return 'must be an absolute URI without a fragment';
  // RFC 8707 section 2: the value should not include a query component.
  if (new URL(value).search !== '' || value.includes('?')) return 'should not include a query';
  return undefined;
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  if (value.includes('#')) return false;
  try {
    // URL accepts only absolute URIs when no base is given.
    new URL(value);
    return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value);
  } catch {
    return false;
  }
}

/** Rejects a resource that the client is not registered for. */
export function checkClientResource(client: Client, resource: string): void {
  if (!client.allowedResources.includes(resource)) {
    throw new InvalidTarget(`the client is not allowed to request 'resource' ${resource}`);
  }
}

/**
 * Resolves a resource indicator to its registered server, checking that the client may use it.
 * Unknown and disabled servers fail with invalid_target.
 */
export async function resolveResource(
  client: Client,
  resource: string,
  directory: ResourceServerDirectory,
): Promise<ResourceServer> {
  checkClientResource(client, resource);
  const server = await directory.findByAudience(resource);
  if (server === undefined || server.disabled) {
    throw new InvalidTarget(`'resource' ${resource} does not name a registered resource server`);
  }
  return server;
}

/**
 * Returns the scopes an access token for `server` may carry: the given ones the server allows, in
 * order. When the server allows none of them, the token would grant nothing, so the request fails
 * with invalid_scope (RFC 8707 section 2.2) instead.
 */
export function limitScopesToResource(scopes: readonly string[], server: ResourceServer | undefined): string[] {
  if (server === undefined) return [...scopes];
  const allowed = new Set(server.allowedScopes);
  const limited = scopes.filter((scope) => allowed.has(scope));
  if (scopes.length > 0 && limited.length === 0) {
    throw new InvalidScope(`'resource' ${server.audience} allows none of the scopes ${scopes.map((scope) => `'${scope}'`).join(', ')}`);
  }
  return limited;
}

/** Rejects requested scopes that the resource server does not allow. */
export function checkResourceScopes(scopes: readonly string[], server: ResourceServer): void {
  const allowed = new Set(server.allowedScopes);
  const denied = scopes.filter((scope) => !allowed.has(scope));
  if (denied.length > 0) {
    const names = denied.map((scope) => `'${scope}'`).join(', ');
    throw new InvalidScope(`'resource' ${server.audience} does not allow scope ${names}`);
  }
}

/**
 * Picks the resource of a token request when the grant already carries one: the request may
 * repeat the granted resource or omit it, but not name another (RFC 8707 section 2.2).
 */
export function chooseGrantedResource(requested: string | undefined, granted: string | null): string | undefined {
  if (granted === null) return requested;
  if (requested !== undefined && requested !== granted) {
    throw new InvalidTarget("'resource' does not match the resource of the authorization");
  }
  return granted;
}
