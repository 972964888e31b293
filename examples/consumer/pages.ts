import type { Connection } from './sessions.js';

/** The consumer's stylesheet, served at /style.css because the Content-Security-Policy forbids inline styles. */
export const STYLESHEET = `:root { color-scheme: light dark; --accent: #2da44e; --error: #cf222e; --muted: #6e7781; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 16px/1.5 system-ui, sans-serif; }
main { width: min(34rem, calc(100vw - 2rem)); padding: 2rem; border: 2px dashed var(--muted); border-radius: 12px; }
.brand { margin: 0 0 1rem; font-weight: 600; color: var(--muted); }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
.error { color: var(--error); }
pre { padding: 0.75rem; overflow-x: auto; border: 1px solid var(--muted); border-radius: 6px; }
button { margin-top: 1rem; padding: 0.55rem 1.2rem; font: inherit; border-radius: 6px; border: 1px solid var(--muted); background: transparent; color: inherit; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
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

export function renderConnectedPage(connection: Connection): string {
  const scope = connection.scope === undefined ? '' : `<p class="muted">Granted scope: <code>${escapeHtml(connection.scope)}</code></p>`;
  return renderLayout(
    'Connected',
    `<h1>Connected to Gatehouse</h1>
<p>Gatehouse's userinfo endpoint returned:</p>
<pre id="userinfo">${escapeHtml(JSON.stringify(connection.userinfo, null, 2))}</pre>
${scope}
<form method="post" action="/disconnect">
<button type="submit">Disconnect</button>
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
