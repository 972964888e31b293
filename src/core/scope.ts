import { InvalidScope } from './errors.js';

/** RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** A bound on the number of scope tokens in one request, so a huge list cannot tie up the server. */
export const MAX_SCOPE_TOKENS = 64;

/**
 * Scopes Gatehouse itself gives meaning to, with their English descriptions (the pages translate
 * them). Clients may also be registered with their own scopes.
 */
export const BUILTIN_SCOPES: Readonly<Record<string, string>> = {
  openid: 'Sign you in with your account',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using the app',
};

/** Splits a scope parameter into its distinct tokens, in the order given. */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ');
  if (tokens.some((token) => token === '')) {
    throw new InvalidScope("'scope' must be scope tokens separated by single spaces");
  }
  if (tokens.length > MAX_SCOPE_TOKENS) {
    throw new InvalidScope(`'scope' must not have more than ${MAX_SCOPE_TOKENS} tokens`);
  }
  for (const token of tokens) {
    if (!SCOPE_TOKEN_PATTERN.test(token)) {
      throw new InvalidScope(`scope '${token}' contains characters that RFC 6749 does not allow`);
    }
  }
  return [...new Set(tokens)];
}

export function isValidScopeToken(token: string): boolean {
  return SCOPE_TOKEN_PATTERN.test(token);
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/**
 * Rejects any requested scope outside `allowed`: the client's registered scopes, or the scopes
 * of the grant being refreshed. `reason` starts the error description.
 */
export function checkScopesAllowed(
  requested: readonly string[],
  allowed: readonly string[],
  reason = 'the client is not allowed to request',
): void {
  const allowedSet = new Set(allowed);
  const denied = requested.filter((scope) => !allowedSet.has(scope));
  if (denied.length > 0) {
    const names = denied.map((scope) => `'${scope}'`).join(', ');
    throw new InvalidScope(`${reason} scope ${names}`);
  }
}

/** True when every requested scope is already in the granted set. */
export function isCoveredBy(requested: readonly string[], granted: readonly string[]): boolean {
  const grantedSet = new Set(granted);
  return requested.every((scope) => grantedSet.has(scope));
}

/** Union of two scope lists, keeping the first list's order. */
export function mergeScopes(existing: readonly string[], added: readonly string[]): string[] {
  return [...new Set([...existing, ...added])];
}
