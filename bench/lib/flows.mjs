import { randomBytes } from 'node:crypto';
import { basicAuthorization, Browser, createPkce, formValue } from './browser.mjs';

/**
 * @typedef {object} Target
 * @property {'gatehouse' | 'oidc-provider'} kind
 * @property {string} base the server's origin on 127.0.0.1
 * @property {string} clientId
 * @property {string} clientSecret
 * @property {string} redirectUri a URL on another origin that is never requested
 * @property {{ authorize: string, token: string, introspect: string, discovery: string, jwks: string }} paths
 */

/** The scope of every measured code flow: an ID token plus one profile claim. */
export const CODE_FLOW_SCOPE = 'openid profile';

function authorizeUrl(target, loginHint) {
  const pkce = createPkce();
  const state = randomBytes(12).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: target.clientId,
    redirect_uri: target.redirectUri,
    scope: CODE_FLOW_SCOPE,
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  if (loginHint !== undefined) query.set('login_hint', loginHint);
  return { url: `${target.paths.authorize}?${query}`, verifier: pkce.verifier, state };
}

/** Returns the code from a redirect to the client's redirect URI, or undefined for any other location. */
function codeFromLocation(target, location, state) {
  if (location === null || !location.startsWith(target.redirectUri)) return undefined;
  const callback = new URL(location);
  if (callback.searchParams.get('state') !== state) throw new Error(`the callback carries the wrong state: ${location}`);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`the callback carries no code: ${location}`);
  return code;
}

/**
 * Walks an authorization request through every page the server shows (Gatehouse's login and
 * consent forms, oidc-provider's interaction route) until the server redirects to the client
 * with a code, then exchanges the code. Used to log a browser in and record consent before
 * measuring, and to mint refresh tokens.
 * @param {Target} target
 * @param {Browser} browser
 * @param {{ username: string, password: string }} user
 */
export async function completeAuthorization(target, browser, user) {
  const request = authorizeUrl(target, target.kind === 'oidc-provider' ? user.username : undefined);
  let response = await browser.request(request.url);
  for (let step = 0; step < 10; step += 1) {
    const code = codeFromLocation(target, response.location, request.state);
    if (code !== undefined) return exchangeCode(target, code, request.verifier);
    if (response.status < 300 || response.status > 399 || response.location === null) {
      throw new Error(`${target.kind} responded with ${response.status} during the authorization: ${response.text.slice(0, 300)}`);
    }
    const location = response.location;
    const path = new URL(location, target.base).pathname;
    if (target.kind === 'gatehouse' && path === '/login') {
      const page = await browser.request(location);
      const form = {
        csrf_token: formValue(page.text, 'csrf_token'),
        request: formValue(page.text, 'request'),
        username: user.username,
        password: user.password,
      };
      response = await browser.request('/login', { form });
    } else if (target.kind === 'gatehouse' && path === '/consent') {
      const page = await browser.request(location);
      const form = {
        csrf_token: formValue(page.text, 'csrf_token'),
        request: formValue(page.text, 'request'),
        decision: 'allow',
      };
      response = await browser.request('/consent', { form });
    } else {
      response = await browser.request(location);
    }
  }
  throw new Error(`${target.kind} did not redirect to the client within 10 steps`);
}

/** Sends a token request with client_secret_basic and returns the parsed JSON of a 200 response. */
export async function requestToken(target, form) {
  const response = await fetch(new URL(target.paths.token, target.base), {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(target.clientId, target.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${target.kind} token endpoint responded with ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function exchangeCode(target, code, verifier) {
  return requestToken(target, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: target.redirectUri,
    code_verifier: verifier,
  });
}

/**
 * One measured code flow for a browser that is logged in and has authorized the client: the
 * authorization request must redirect straight to the client with a code, which is then
 * exchanged for tokens.
 * @param {Target} target
 * @param {Browser} browser
 */
export async function runCodeFlow(target, browser) {
  const request = authorizeUrl(target, undefined);
  const response = await browser.request(request.url);
  const code = codeFromLocation(target, response.location, request.state);
  if (code === undefined) {
    throw new Error(`${target.kind} did not issue a code at once (status ${response.status}, location ${response.location})`);
  }
  const tokens = await exchangeCode(target, code, request.verifier);
  if (typeof tokens.access_token !== 'string' || typeof tokens.id_token !== 'string') {
    throw new Error(`${target.kind} token response lacks access_token or id_token: ${JSON.stringify(tokens).slice(0, 300)}`);
  }
  return tokens;
}

/**
 * Runs code flows with `concurrency` browsers for `durationMs` and returns flows per second and
 * latency percentiles of whole flows. Each browser runs its flows one after the other.
 * @param {Target} target
 * @param {Browser[]} browsers one per concurrent flow, each logged in and with consent recorded
 * @param {number} durationMs
 */
export async function measureCodeFlows(target, browsers, durationMs) {
  const latencies = [];
  let failures = 0;
  let firstError;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    browsers.map(async (browser) => {
      while (performance.now() < deadline) {
        const flowStarted = performance.now();
        try {
          await runCodeFlow(target, browser);
          latencies.push(performance.now() - flowStarted);
        } catch (error) {
          failures += 1;
          firstError ??= error;
          if (failures > 20) throw new Error(`code flows keep failing: ${firstError.message}`);
        }
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]);
  return {
    rps: latencies.length / elapsedSeconds,
    p50: percentile(50),
    p99: percentile(99),
    completed: latencies.length,
    errors: failures,
    firstError: firstError?.message,
  };
}

export { Browser };
