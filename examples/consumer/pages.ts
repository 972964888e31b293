import type { Connection } from './sessions.js';

/** The consumer's stylesheet, served at /style.css because the Content-Security-Policy forbids inline styles. */
export const STYLESHEET = `:root { color-scheme: light dark; --accent: #2da44e; --error: #cf222e; --muted: #6e7781; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 16px/1.5 system-ui, sans-serif; }
main { width: min(40rem, calc(100vw - 2rem)); padding: 2rem; border: 2px dashed var(--muted); border-radius: 12px; }
.brand { margin: 0 0 1rem; font-weight: 600; color: var(--muted); }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
.error { color: var(--error); }
pre { padding: 0.75rem; overflow-x: auto; border: 1px solid var(--muted); border-radius: 6px; }
button { margin-top: 1rem; padding: 0.55rem 1.2rem; font: inherit; border-radius: 6px; border: 1px solid var(--muted); background: transparent; color: inherit; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--muted); text-align: left; vertical-align: top; }
td code { word-break: break-all; }
.actions { display: flex; gap: 0.75rem; }
`;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** Wraps page content, which must already be escaped, in the shared layout. */
function renderLayout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Demo Consumer</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<main>
<p class="brand">Demo Consumer, a third-party app</p>
${body}
</main>
</body>
</html>
`;
}

export function renderDisconnectedPage(): string {
  return renderLayout(
    'Not connected',
    `<h1>Not connected</h1>
<p>This app is not connected to your Gatehouse account yet.</p>
<form method="post" action="/connect">
<button type="submit" class="primary">Connect with Gatehouse</button>
</form>`,
  );
}

/** ID token claims that are times in seconds since the epoch, shown with their UTC date as well. */
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

/** Renders a claim's value: a string as it is, anything else as JSON, and a time with its date. */
function renderClaimValue(name: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const code = `<code>${escapeHtml(text)}</code>`;
  if (TIME_CLAIMS.has(name) && typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value * 1000);
    // The claims are whole seconds, so the milliseconds of the ISO 8601 form are left out.
    if (!Number.isNaN(date.getTime())) return `${code} <span class="muted">${escapeHtml(date.toISOString().replace('.000Z', 'Z'))}</span>`;
  }
  return code;
}

export function renderConnectedPage(connection: Connection): string {
  const claims = connection.idTokenClaims;
  const displayName = [connection.userinfo.name, connection.userinfo.preferred_username, claims.sub].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const claimRows = Object.entries(claims)
    .map(
      ([name, value]) =>
        `<tr><th scope="row"><code>${escapeHtml(name)}</code></th><td data-claim="${escapeHtml(name)}">${renderClaimValue(name, value)}</td></tr>`,
    )
    .join('\n');
  const scope = connection.scope === undefined ? '' : `<p class="muted">Granted scope: <code>${escapeHtml(connection.scope)}</code></p>`;
  return renderLayout(
    'Signed in',
    `<h1>Signed in with OpenID Connect</h1>
<p>Gatehouse signed you in as <strong>${escapeHtml(displayName ?? claims.sub)}</strong>.</p>
<h2>ID token claims</h2>
<p class="muted">This app checked the signature against Gatehouse's JWKS, and the issuer, audience, expiry and nonce.</p>
<table id="id-token-claims">
<thead><tr><th scope="col">Claim</th><th scope="col">Value</th></tr></thead>
<tbody>
${claimRows}
</tbody>
</table>
<h2>Userinfo</h2>
<p>Gatehouse's userinfo endpoint returned, for the ID token's subject:</p>
<pre id="userinfo">${escapeHtml(JSON.stringify(connection.userinfo, null, 2))}</pre>
${scope}
<p class="muted">Sign out also ends your session at Gatehouse. Disconnect forgets you in this app only, so the next Connect signs you in without a password.</p>
<div class="actions">
<form method="post" action="/sign-out">
<button type="submit" class="primary">Sign out</button>
</form>
<form method="post" action="/disconnect">
<button type="submit">Disconnect</button>
</form>
</div>`,
  );
}

export function renderSignedOutPage(): string {
  return renderLayout(
    'Signed out',
    `<h1>Signed out of Gatehouse</h1>
<p>Gatehouse ended your session and sent you back with the state this app sent, so you are signed out of both.</p>
<form method="post" action="/connect">
<button type="submit" class="primary">Connect with Gatehouse</button>
</form>`,
  );
}

export interface ErrorPageContent {
  title: string;
  message: string;
  /** An OAuth error code, such as access_denied. */
  code?: string | undefined;
}

export function renderErrorPage(page: ErrorPageContent): string {
  const code = page.code === undefined ? '' : `<p>Error code: <code id="error-code">${escapeHtml(page.code)}</code></p>`;
  return renderLayout(
    page.title,
    `<h1>${escapeHtml(page.title)}</h1>
<p class="error" role="alert">${escapeHtml(page.message)}</p>
${code}
<p><a href="/">Back to the start page</a></p>`,
  );
}
