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
  /** A `value` requested for `sub`: only that user may complete the request (section 5.5.1). */
  subject?: string;
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
  const request: ClaimsRequest = { userinfo: readMembers('userinfo'), idToken: readMembers('id_token') };
  if (request.userinfo.length + request.idToken.length > MAX_REQUESTED_CLAIMS) {
    throw new InvalidRequest(`'claims' must not request more than ${MAX_REQUESTED_CLAIMS} claims`);
  }
  const subjects = new Set([readSubjectValue(parsed, 'id_token'), readSubjectValue(parsed, 'userinfo')]);
  subjects.delete(undefined);
  if (subjects.size > 1) throw new InvalidRequest("'claims' must not request two different 'sub' values");
  const [subject] = subjects;
  if (subject !== undefined) request.subject = subject;
  return request;
}

/** Reads `claims.<target>.sub.value`, which must be a string when present. */
function readSubjectValue(parsed: Record<string, unknown>, target: 'userinfo' | 'id_token'): string | undefined {
  const members = parsed[target];
  if (!isPlainObject(members)) return undefined;
  const sub = members.sub;
  if (!isPlainObject(sub) || sub.value === undefined) return undefined;
  // OpenID Connect Core section 2: a subject is at most 255 ASCII characters.
  if (typeof sub.value !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(sub.value)) {
    throw new InvalidRequest(`'claims.${target}.sub.value' must be 1 to 255 printable ASCII characters`);
  }
  return sub.value;
}

/**
 * Returns the claims about the user that the scopes release, plus individually requested claims.
 * The user consents per scope, so an individually requested claim is released only when a granted
 * scope covers it: the `claims` parameter chooses where a claim goes, never widens what is
 * released. Individual claims also need the `openid` scope. With `includeScopeClaims` false (for
 * ID tokens, which OpenID Connect Core section 5.4 leaves scope claims out of when an access
 * token is issued), only `sub` and the individually requested claims are returned.
 */
export function buildUserClaims(
  user: UserProfile,
  scopes: readonly string[],
  individuallyRequested: readonly string[] = [],
  includeScopeClaims = true,
): Record<string, unknown> {
  const released = new Set<string>();
  for (const scope of scopes) for (const claim of SCOPE_CLAIMS[scope] ?? []) released.add(claim);
  const names = new Set<string>(includeScopeClaims ? released : []);
  if (scopes.includes('openid')) {
    for (const claim of individuallyRequested) if (released.has(claim)) names.add(claim);
  }

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
  const request: ClaimsRequest = { userinfo: parsed.userinfo ?? [], idToken: parsed.idToken ?? [] };
  if (typeof parsed.subject === 'string') request.subject = parsed.subject;
  return request;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
