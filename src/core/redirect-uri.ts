/**
 * Redirect URI registration and matching.
 *
 * Matching is simple string comparison (RFC 9700 section 4.1.3, OAuth 2.1 section 2.3.1). The one
 * exception is RFC 8252 section 7.3: a native (public) client registered with an http loopback IP
 * literal may use any port at request time, because the operating system assigns it.
 */

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const LOOPBACK_IP_LITERALS = new Set(['127.0.0.1', '[::1]']);
export const MAX_REDIRECT_URI_LENGTH = 2000;

export interface RedirectUriPolicy {
  /** Accept http:// on hosts other than loopback. For development setups only. */
  allowInsecureHttp: boolean;
}

/** Returns why a redirect URI cannot be registered, or undefined when it is acceptable. */
export function findRedirectUriProblem(uri: string, policy: RedirectUriPolicy): string | undefined {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `must not be longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (uri.includes('*')) return 'must not contain wildcards';
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (/[\u0000-\u0020\u007f]/.test(uri)) return 'must not contain spaces or control characters';
  // Characters RFC 3986 does not allow unencoded. Parsers disagree about a backslash, which
  // browsers read as '/', so 'https://a.test\\@b.test' names different hosts to different readers.
  if (/[\\<>"{}|^`]/.test(uri)) return 'must not contain \\, <, >, ", {, }, |, ^ or `';
  if (/%(?:[01][0-9a-f]|7f)/i.test(uri)) return 'must not contain percent-encoded control characters';
  if (hasDotSegment(uri)) return "must not contain '.' or '..' path segments";
  if (FORBIDDEN_SCHEMES.has(parsed.protocol)) return `must not use the '${parsed.protocol}' scheme`;
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain user information';
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname) && !policy.allowInsecureHttp) {
    return 'must use https unless the host is a loopback address';
  }
  return undefined;
}

/**
 * True when the path contains a `.` or `..` segment, plain or percent-encoded. A browser resolves
 * such a path to another one, so the registered string would not be where the code goes.
 */
function hasDotSegment(uri: string): boolean {
  const authorityStart = uri.indexOf('//');
  const afterScheme = authorityStart >= 0 ? uri.slice(authorityStart + 2) : uri.slice(uri.indexOf(':') + 1);
  const pathStart = authorityStart >= 0 ? afterScheme.search(/[/?]/) : 0;
  if (pathStart < 0) return false;
  const path = afterScheme.slice(pathStart).split('?')[0] ?? '';
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

/** Finds the registered redirect URI that the requested one matches, or undefined. */
export function matchRedirectUri(
  requested: string,
  registered: readonly string[],
  isNativeClient: boolean,
): string | undefined {
  for (const candidate of registered) {
    if (candidate === requested) return candidate;
  }
  if (!isNativeClient) return undefined;
  const requestedWithoutPort = stripLoopbackPort(requested);
  if (requestedWithoutPort === undefined) return undefined;
  for (const candidate of registered) {
    if (stripLoopbackPort(candidate) === requestedWithoutPort) return candidate;
  }
  return undefined;
}

/** Returns the URI with its port removed when it is an http loopback IP literal, else undefined. */
function stripLoopbackPort(uri: string): string | undefined {
  const match = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(\/.*)?$/.exec(uri);
  if (match === null) return undefined;
  const host = match[1] ?? '';
  if (!LOOPBACK_IP_LITERALS.has(host)) return undefined;
  if (match[2] !== undefined && Number(match[2]) > 65535) return undefined;
  return `http://${host}${match[3] ?? ''}`;
}
