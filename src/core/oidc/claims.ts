import { InvalidRequest } from '../errors.js';

/** The user data that claims are built from. */
export interface UserProfile {
  id: string;
  username: string;
  name: string | null;
  email: string | null;
  emailVerified: boolean;
  /** Milliseconds since the epoch. */
  updatedAt: number;
}

/**
 * Claims each scope releases (OpenID Connect Core section 5.4), limited to the claims Gatehouse
 * stores. A claim the user has no value for is left out.
 */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
};

export const SUPPORTED_CLAIMS = ['sub', ...new Set(Object.values(SCOPE_CLAIMS).flat())];

/** The `claims` request parameter (OpenID Connect Core section 5.5): claim names per target. */
export interface ClaimsRequest {
  userinfo: string[];
  idToken: string[];
}

/** Bound on the `claims` parameter's members, so a request cannot make Gatehouse do unbounded work. */
const MAX_REQUESTED_CLAIMS = 50;

/**
 * Parses and validates the `claims` request parameter. Only claim names are used: `essential`,
 * `value` and `values` are accepted but do not change what is released, which the specification
 * allows, because the user consents per scope.
 */
export function parseClaimsRequest(value: string | undefined): ClaimsRequest | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidRequest("'claims' must be a JSON object");
  }
  if (!isPlainObject(parsed)) throw new InvalidRequest("'claims' must be a JSON object");
  const readMembers = (target: 'userinfo' | 'id_token'): string[] => {
    const members = parsed[target];
    if (members === undefined || members === null) return [];
    if (!isPlainObject(members)) throw new InvalidRequest(`'claims.${target}' must be a JSON object`);
    for (const [name, request] of Object.entries(members)) {
      if (request !== null && !isPlainObject(request)) {
        throw new InvalidRequest(`'claims.${target}.${name}' must be null or a JSON object`);
      }
    }
    return Object.keys(members);
  };
  const request = { userinfo: readMembers('userinfo'), idToken: readMembers('id_token') };
  if (request.userinfo.length + request.idToken.length > MAX_REQUESTED_CLAIMS) {
    throw new InvalidRequest(`'claims' must not request more than ${MAX_REQUESTED_CLAIMS} claims`);
  }
  return request;
}

/**
 * Returns the claims about the user that the scopes release, plus individually requested claims
 * that Gatehouse supports. Individual claims still need the `openid` scope, so a plain OAuth
 * token never gains them. With `includeScopeClaims` false (for ID tokens, which OpenID Connect
 * Core section 5.4 leaves scope claims out of when an access token is issued), only `sub` and
 * the individually requested claims are returned.
 */
export function buildUserClaims(
  user: UserProfile,
  scopes: readonly string[],
  individuallyRequested: readonly string[] = [],
  includeScopeClaims = true,
): Record<string, unknown> {
  const names = new Set<string>();
  if (includeScopeClaims) for (const scope of scopes) for (const claim of SCOPE_CLAIMS[scope] ?? []) names.add(claim);
  if (scopes.includes('openid')) for (const claim of individuallyRequested) names.add(claim);

  const claims: Record<string, unknown> = { sub: user.id };
  const values: Record<string, unknown> = {
    name: user.name ?? undefined,
    preferred_username: user.username,
    updated_at: Math.floor(user.updatedAt / 1000),
    email: user.email ?? undefined,
    email_verified: user.email === null ? undefined : user.emailVerified,
  };
  for (const name of names) {
    const value = values[name];
    if (value !== undefined) claims[name] = value;
  }
  return claims;
}

export function serializeClaimsRequest(request: ClaimsRequest | undefined): string | null {
  return request === undefined ? null : JSON.stringify(request);
}

export function deserializeClaimsRequest(value: string | null): ClaimsRequest | undefined {
  if (value === null) return undefined;
  const parsed = JSON.parse(value) as ClaimsRequest;
  return { userinfo: parsed.userinfo ?? [], idToken: parsed.idToken ?? [] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
