import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** A PKCE pair for one flow (RFC 7636 section 4.1 and 4.2). */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/**
 * A browser stand-in over Fastify's inject: it keeps cookies between requests and reads forms,
 * so tests can walk the login and consent pages as a user would.
 */
export class BrowserSession {
  readonly cookies = new Map<string, string>();

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.send('GET', url);
  }

  async postForm(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.send('POST', url, new URLSearchParams(form).toString());
  }

  private async send(method: 'GET' | 'POST', url: string, body?: string): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await this.app.inject({ method, url: pathOf(url), headers, payload: body });
    for (const cookie of response.cookies) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }
}

/** Strips scheme and host so inject receives a path; Gatehouse's own pages redirect with paths. */
function pathOf(url: string): string {
  if (url.startsWith('/')) return url;
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** Reads the value of a named hidden or text input from an HTML form. */
export function formValue(html: string, name: string): string {
  const pattern = new RegExp(`name="${name}"[^>]*value="([^"]*)"`);
  const match = pattern.exec(html);
  if (match === null || match[1] === undefined) throw new Error(`the page has no input named '${name}'`);
  return match[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export function locationOf(response: LightMyRequestResponse): string {
  const location = response.headers.location;
  if (typeof location !== 'string') {
    throw new Error(`expected a redirect, got status ${response.statusCode}: ${response.body.slice(0, 300)}`);
  }
  return location;
}
