import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { authorizationUrl, exchangeCode, requestToken, submitConsent, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect } from '../support/lifecycle.js';
import { postRaw, tokenSetOf } from '../support/oauth-checks.js';
import { GATEHOUSE_BIN } from '../support/processes.js';
import { dumpTable } from '../support/rows.js';
import { getUserinfo } from '../support/token-requests.js';

/** Markers of internal detail that an error response must never carry. */
const INTERNALS = /\s+at .+:\d+:\d+|node_modules|\/work\/|\.ts:\d+|SELECT |INSERT |sqlite|postgres|kysely|fastify|TypeError|ReferenceError/i;

describe('secrets and leakage', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Leak Test App', scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'] });
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  // RFC 9700 section 2.1.2: only the code travels in a URL, never a token.
  it('puts no token in any URL', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const request = authorizationUrl(client, { scope: 'openid profile' });
    const hops: LightMyRequestResponse[] = [];
    hops.push(await browser.get(request.url));
    hops.push(await submitLogin(browser, locationOf(hops[0] as LightMyRequestResponse), user));
    const consentPage = await browser.get(locationOf(hops[1] as LightMyRequestResponse));
    hops.push(await submitConsent(browser, locationOf(hops[1] as LightMyRequestResponse), 'allow'));
    const callback = new URL(locationOf(hops[2] as LightMyRequestResponse));
    const code = callback.searchParams.get('code') ?? '';
    const tokens = tokenSetOf(await exchangeCode(gatehouse, client, { code, verifier: request.verifier, state: request.state, callback }));

    for (const hop of hops) {
      const location = locationOf(hop);
      assert.doesNotMatch(location, /access_token|id_token|refresh_token|#/, `no token or fragment in ${location}`);
    }
    for (const page of [consentPage, await browser.get('/'), await browser.get('/connected-apps')]) {
      for (const value of [tokens.access_token, tokens.refresh_token ?? '-', tokens.id_token ?? '-']) {
        assert.ok(!page.body.includes(value), 'no token value on a page');
      }
    }

    const implicit = authorizationUrl(client, { response_type: 'token' });
    const refused = locationOf(await browser.get(implicit.url));
    assert.equal(new URL(refused).searchParams.get('error'), 'unsupported_response_type');
    assert.doesNotMatch(refused, /access_token|#/, 'no token in the refusal');
  });

  it('reveals no internals in errors', async () => {
    const browser = new BrowserSession(gatehouse.app);
    const responses: Array<[string, LightMyRequestResponse]> = [
      ['bad token form', await postRaw(gatehouse, '/token', 'grant_type=authorization_code&code=%FF')],
      ['JSON token body', await gatehouse.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json' }, payload: '{"a":' })],
      ['unknown code', await requestToken(gatehouse, client, { grant_type: 'authorization_code', code: 'x' })],
      ['bad introspection', await postRaw(gatehouse, '/introspect', 'token=x')],
      ['bad revocation', await postRaw(gatehouse, '/revoke', 'token=x&token=y')],
      ['bad userinfo', await getUserinfo(gatehouse, 'x')],
      ['untrusted authorize', await browser.get('/authorize?client_id=%3Cscript%3E')],
      ['login without form', await browser.postForm('/login', {})],
      ['consent without request', await browser.get('/consent?request=nope')],
      ['unknown page', await browser.get('/no/such/page')],
      ['end-session bad hint', await browser.get('/end-session?id_token_hint=a.b.c')],
    ];
    for (const [name, response] of responses) {
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${name}: 4xx, got ${response.statusCode}`);
      assert.doesNotMatch(response.body, INTERNALS, `${name}: no internals`);
      assert.equal(response.headers['x-powered-by'], undefined, `${name}: no X-Powered-By`);
      assert.equal(response.headers.server, undefined, `${name}: no Server header`);
    }
  });

  it('never returns a client secret', async () => {
    assert.ok(!(await dumpTable(gatehouse, 'clients')).includes(client.secret ?? '-'), 'the database stores only a hash');

    const listed = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [GATEHOUSE_BIN, 'client', 'list', '--json'], {
        env: { ...process.env, GATEHOUSE_DATABASE_URL: gatehouse.testDatabase.url, GATEHOUSE_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout }));
    });
    assert.equal(listed.code, 0, listed.stdout);
    assert.ok(listed.stdout.includes(client.clientId), 'the list names the client');
    assert.ok(!listed.stdout.includes(client.secret ?? '-'), 'the list has no secret');
    assert.doesNotMatch(listed.stdout, /secret_hash|client_secret"/, 'no secret field');

    for (const url of ['/.well-known/openid-configuration', '/jwks', '/']) {
      const response = await gatehouse.app.inject({ method: 'GET', url });
      assert.ok(!response.body.includes(client.secret ?? '-'), `${url} has no secret`);
    }
  });

  // RFC 9700 section 4.15: tokens of a client acting for itself are told apart from user tokens.
  it('tells client tokens from user tokens', async () => {
    const machine = tokenSetOf(await requestToken(gatehouse, client, { grant_type: 'client_credentials', scope: 'api:read' }));
    const details = await introspect(gatehouse, clientCredentials(client), machine.access_token);
    assert.equal(details.active, true);
    assert.equal(details.sub, client.clientId, 'the client is the subject');
    assert.equal(details.username, undefined, 'no username');
    assert.notEqual(details.sub, user.id);

    const userinfo = await getUserinfo(gatehouse, machine.access_token);
    assert.equal(userinfo.statusCode, 401, 'userinfo rejects a token without a user');
  });
});
