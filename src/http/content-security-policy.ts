/**
 * Content-Security-Policy for Gatehouse's pages: no script except the form_post helper, no
 * framing, and forms that may only post to Gatehouse or, when a form's response redirects to a
 * client, to that client's origin. Browsers check form-action on the redirect after a form POST,
 * so the client's origin has to be listed on the login, consent and logout pages.
 */
export function pageContentSecurityPolicy(formTargets: readonly string[] = [], allowScript = false): string {
  const sources = new Set(["'self'"]);
  for (const target of formTargets) {
    const source = toSourceExpression(target);
    if (source !== undefined) sources.add(source);
  }
  return [
    "default-src 'none'",
    allowScript ? "script-src 'self'" : undefined,
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action ${[...sources].join(' ')}`,
  ]
    .filter((directive) => directive !== undefined)
    .join('; ');
}

/** Returns the CSP source for a redirect URI: its origin for http(s), its scheme for a private-use scheme. */
function toSourceExpression(uri: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  // Private-use schemes of native apps (RFC 8252 section 7.1), such as com.example.app:
  return /^[a-z][a-z0-9+.-]*:$/i.test(parsed.protocol) ? parsed.protocol : undefined;
}
