import { createHash, randomBytes } from 'node:crypto';

/**
 * A minimal browser for the code flow drivers: one cookie jar, `fetch` with redirects left to the
 * caller, and helpers for forms and PKCE. Every URL is built from a base that the benchmark
 * started on 127.0.0.1, and redirects to any other origin are returned, never followed.
 */
export class Browser {
  /** @param {string} base the server's origin, such as http://127.0.0.1:9100 */
  constructor(base) {
    this.base = base;
    /** @type {Map<string, string>} */
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** @param {Response} response */
  storeCookies(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      // An expired cookie is how a server deletes it.
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /**
   * Sends a request to a path on the server, or to an absolute URL on the same origin.
   * @param {string} pathOrUrl
   * @param {{ method?: string, form?: Record<string, string>, headers?: Record<string, string> }} [options]
   */
  async request(pathOrUrl, options = {}) {
    const url = new URL(pathOrUrl, this.base);
    if (url.origin !== new URL(this.base).origin) throw new Error(`refusing to request another origin: ${url.origin}`);
    const headers = { ...options.headers };
    const cookie = this.cookieHeader();
    if (cookie !== '') headers.cookie = cookie;
    let body;
    if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    this.storeCookies(response);
    const text = await response.text();
    return { status: response.status, location: response.headers.get('location'), text };
  }
}

/** @returns {{ verifier: string, challenge: string }} */
export function createPkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** Reads the value of a hidden form input from an HTML page. */
export function formValue(html, name) {
  const match = new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html);
  if (match === null) throw new Error(`the page has no input named '${name}': ${html.slice(0, 300)}`);
  return match[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** Builds the Authorization header value of client_secret_basic (RFC 6749 section 2.3.1). */
export function basicAuthorization(clientId, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
