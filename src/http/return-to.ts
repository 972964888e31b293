/**
 * Pages that send the browser to /login and expect it back afterwards. Only these paths are
 * accepted as `return_to`, so the login page can never redirect to another site.
 */
const RETURN_PATHS = ['/connected-apps', '/device'];

/** Returns `value` when it is one of RETURN_PATHS, optionally with a query; else undefined. */
export function readReturnTo(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 200) return undefined;
  const path = value.split('?')[0];
  if (path === undefined || !RETURN_PATHS.includes(path)) return undefined;
  if (/[\s\\#]/.test(value)) return undefined;
  return value;
}

/** Builds the login page address that redirects to `returnTo` after a successful login. */
export function loginUrlReturningTo(returnTo: string): string {
  return `/login?return_to=${encodeURIComponent(returnTo)}`;
}
