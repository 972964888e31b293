import { setTimeout as delay } from 'node:timers/promises';
import { basicAuthorization, Browser, formValue } from './browser.mjs';
import { completeAuthorization, measureCodeFlows, requestToken, runCodeFlow } from './flows.mjs';
import { runAutocannon } from './measure.mjs';

/**
 * Load cases shared by Gatehouse and node-oidc-provider. Each case returns `runOnce(seconds)`,
 * which the runner calls for the warm-up and for every measured run. Connections per autocannon
 * run are fixed at 50.
 */
export const CONNECTIONS = 50;
export const CONCURRENT_FLOWS = 20;
export const AUDIENCE = 'https://api.example.com';

const FORM = 'application/x-www-form-urlencoded';

function tokenRequestHeaders(target, client = target) {
  return { authorization: basicAuthorization(client.clientId, client.clientSecret), 'content-type': FORM };
}

/** Runs one unchanging request with autocannon. */
export function staticCase(base, request) {
  return { runOnce: (seconds) => runAutocannon({ base, connections: CONNECTIONS, seconds, request }) };
}

/** Requests tokens with the client credentials grant, for a resource server (RFC 8707) when `resource` is set. */
export function clientCredentialsCase(target, client, scope, resource) {
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
  if (resource !== undefined) form.set('resource', resource);
  return staticCase(target.base, {
    method: 'POST',
    path: target.paths.token,
    headers: tokenRequestHeaders(target, client),
    body: form.toString(),
  });
}

/** Introspects one valid access token, as the client it was issued to. */
export async function introspectionCase(target, scope) {
  const issued = await requestToken(target, { grant_type: 'client_credentials', scope });
  const check = await fetch(new URL(target.paths.introspect, target.base), {
    method: 'POST',
    headers: tokenRequestHeaders(target),
    body: new URLSearchParams({ token: issued.access_token }).toString(),
  });
  const answer = await check.json();
  if (answer.active !== true) throw new Error(`${target.kind} introspection returned a fresh token as inactive: ${JSON.stringify(answer)}`);
  return staticCase(target.base, {
    method: 'POST',
    path: target.paths.introspect,
    headers: tokenRequestHeaders(target),
    body: new URLSearchParams({ token: issued.access_token }).toString(),
  });
}

/**
 * Refresh with rotation: every request sends a refresh token that was never used. A pool is
 * filled through real code flows before each run, each request takes the newest token from it,
 * and the new refresh token of each response goes back on top. Newest first keeps the tokens in
 * use recent, which node-oidc-provider's in-memory adapter needs, because it keeps only about the
 * 1,000 to 2,000 most recently used entries. Its sessions are gone after a load run, so the
 * browser logs in again before each fill.
 */
export async function refreshCase(target, browser, user) {
  const pool = [];
  const poolSize = 3 * CONNECTIONS;
  const fill = async () => {
    await completeAuthorization(target, browser, user);
    while (pool.length < poolSize) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => runCodeFlow(target, browser)));
      for (const tokens of batch) {
        if (typeof tokens.refresh_token !== 'string') throw new Error(`${target.kind} issued no refresh token`);
        pool.push(tokens.refresh_token);
      }
    }
  };
  const headers = tokenRequestHeaders(target);
  let firstFailure;
  return {
    async runOnce(seconds) {
      await fill();
      firstFailure = undefined;
      const result = await runAutocannon({
        base: target.base,
        connections: CONNECTIONS,
        seconds,
        request: {
          method: 'POST',
          path: target.paths.token,
          headers,
          setupRequest(request) {
            const token = pool.pop() ?? 'pool-empty';
            return { ...request, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString() };
          },
          onResponse(status, body) {
            if (status !== 200) {
              firstFailure ??= `${status} ${body.slice(0, 200)}`;
              return;
            }
            const token = JSON.parse(body).refresh_token;
            if (typeof token === 'string') pool.push(token);
          },
        },
      });
      return { ...result, firstError: firstFailure };
    },
  };
}

/**
 * Logs each browser in (again, when its session is gone) and records consent, so its next
 * authorization request gets a code at once.
 */
export async function logIn(target, browsers, userFor) {
  for (const [index, browser] of browsers.entries()) await completeAuthorization(target, browser, userFor(index));
}

/**
 * Whole code flows (authorization request with a session, then the code exchange), one per
 * browser at a time. Before each run every browser completes one flow outside the measurement,
 * logging in again where node-oidc-provider's in-memory adapter has dropped the session.
 */
export function codeFlowCase(target, count, userFor) {
  const browsers = Array.from({ length: count }, () => new Browser(target.base));
  return {
    async runOnce(seconds) {
      await logIn(target, browsers, userFor);
      return measureCodeFlows(target, browsers, seconds * 1000);
    },
  };
}

/**
 * Runs the client credentials case while `loginsPerSecond` password logins run beside it on
 * Gatehouse's login form. Each login posts the form with a CSRF token read once per browser.
 */
export async function tokenUnderLoginsCase(target, user, loginsPerSecond) {
  const loginBrowsers = [];
  for (let index = 0; index < 4; index += 1) {
    const browser = new Browser(target.base);
    const page = await browser.request('/login');
    loginBrowsers.push({ browser, csrf: formValue(page.text, 'csrf_token') });
  }
  const tokenLoad = clientCredentialsCase(target, target, target.serviceScope);
  return {
    async runOnce(seconds) {
      const logins = { ok: 0, failed: 0, latencies: [] };
      const deadline = Date.now() + seconds * 1000;
      const loginLoop = (async () => {
        const inFlight = [];
        for (let index = 0; Date.now() < deadline; index += 1) {
          const { browser, csrf } = loginBrowsers[index % loginBrowsers.length];
          const started = performance.now();
          inFlight.push(
            browser.request('/login', { form: { csrf_token: csrf, username: user.username, password: user.password } }).then(
              (response) => {
                if (response.status === 303) {
                  logins.ok += 1;
                  logins.latencies.push(performance.now() - started);
                } else logins.failed += 1;
              },
              () => (logins.failed += 1),
            ),
          );
          await delay(1000 / loginsPerSecond);
        }
        await Promise.all(inFlight);
      })();
      const result = await tokenLoad.runOnce(seconds);
      await loginLoop;
      logins.latencies.sort((a, b) => a - b);
      const loginP99 = logins.latencies[Math.floor(0.99 * (logins.latencies.length - 1))];
      return { ...result, logins: { ok: logins.ok, failed: logins.failed, p99: loginP99, perSecond: logins.ok / seconds } };
    },
  };
}
