import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { issuedRowCounts, postRaw } from '../support/oauth-checks.js';
import { basicAuthorization } from '../support/token-requests.js';

/** Asserts a client error: 4xx, and no stack trace or internal detail in the body. */
function assertClientError(response: LightMyRequestResponse, message: string): void {
  assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${message}: 4xx, got ${response.statusCode}: ${response.body.slice(0, 200)}`);
  assert.doesNotMatch(response.body, /\s+at .+:\d+:\d+|node_modules|SELECT |sqlite|postgres/i, `${message}: no internals`);
}

describe('hostile input', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let browser: BrowserSession;
  let basic: Record<string, string>;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Hostile Input App' });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
    basic = { authorization: basicAuthorization(client.clientId, client.secret ?? '') };
    await authorize(browser, client, user);
  });
  after(() => gatehouse.stop());

  it('rejects oversized bodies quickly', async () => {
    const cases: Array<[string, number]> = [
      ['/token', 2 * 1024 * 1024],
      ['/introspect', 128 * 1024],
      ['/revoke', 128 * 1024],
      ['/login', 128 * 1024],
    ];
    for (const [url, size] of cases) {
      const started = Date.now();
      const response = await postRaw(gatehouse, url, `token=${'a'.repeat(size)}`, basic);
      assert.equal(response.statusCode, 413, `${url}: ${response.statusCode}`);
      assert.ok(Date.now() - started < 2000, `${url}: rejected within 2 s`);
    }
  });

  it('rejects oversized fields without echoing them', async () => {
    const big = 'x'.repeat(50 * 1024);
    const before = await issuedRowCounts(gatehouse);
    for (const name of ['code', 'code_verifier', 'scope', 'redirect_uri']) {
      const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'c', redirect_uri: client.redirectUri, code_verifier: 'v'.repeat(43) });
      form.set(name, big);
      assertClientError(await postRaw(gatehouse, '/token', form.toString(), basic), `token ${name}`);
    }
    const longId = await postRaw(gatehouse, '/token', new URLSearchParams({ grant_type: 'client_credentials', client_id: big, client_secret: 's' }).toString());
    assertClientError(longId, 'long client_id');
    assert.deepEqual(await issuedRowCounts(gatehouse), before, 'nothing was issued');

    const login = await browser.get('/login');
    const longCredentials = await browser.postForm('/login', { csrf_token: formValue(login.body, 'csrf_token'), username: big, password: big });
    assertClientError(longCredentials, 'long username and password');

    // A state over the parameter limit is not copied into the error redirect.
    const request = authorizationUrl(client, { state: big });
    const authorizeResponse = await browser.postForm('/authorize', Object.fromEntries(new URL(request.url, 'http://localhost').searchParams));
    const location = String(authorizeResponse.headers.location ?? '');
    assert.ok(location.length < 8 * 1024, `the Location header stays small: ${location.length} characters`);
    assert.doesNotMatch(location, /code=/, 'no code');
  });

  it('handles many and nested parameters', async () => {
    const many = `${'a=b&'.repeat(10_000)}grant_type=client_credentials`;
    const started = Date.now();
    assertClientError(await postRaw(gatehouse, '/token', many, basic), '10,000 parameters');
    assert.ok(Date.now() - started < 2000, 'answered within 2 s');

    // The limit rejects the whole form, because dropping the extra fields would let the request pass.
    const tooMany = await postRaw(gatehouse, '/token', `grant_type=client_credentials${'&a=b'.repeat(100)}`, basic);
    assertClientError(tooMany, '101 fields');
    assert.match(tooMany.json().error_description, /more than 100 fields/, 'the description names the limit');
    const atLimit = await postRaw(gatehouse, '/token', `grant_type=client_credentials${'&a=b'.repeat(99)}`, basic);
    assert.equal(atLimit.statusCode, 400, `100 fields are read: ${atLimit.body}`);
    assert.equal(atLimit.json().error, 'invalid_request', 'the repeated field, not the count, is the problem');
    assert.match(atLimit.json().error_description, /repeated/, 'the description names the repetition');

    const authorization = await authorize(browser, client, user);
    const nested = new URLSearchParams({
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: client.redirectUri,
      code_verifier: authorization.verifier,
      'a[b][c][d][e]': '1',
      '__proto__[admin]': '1',
    });
    const response = await postRaw(gatehouse, '/token', nested.toString(), basic);
    assert.equal(response.statusCode, 200, `unknown bracket names are ignored: ${response.body}`);
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype pollution');
  });

  it('rejects invalid encodings in the path', async () => {
    for (const path of ['/%C0%80', '/login%FF', '/authorize/%ED%A0%80', '/%ZZ', '/%']) {
      const response = await gatehouse.app.inject({ method: 'GET', url: path });
      assertClientError(response, path);
      assert.equal(response.json().error, 'invalid_request', `${path}: invalid_request`);
      assert.equal(response.headers['cache-control'], 'no-store', `${path}: not cached`);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', `${path}: nosniff`);
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/, `${path}: a CSP`);
    }
  });

  it('rejects invalid encodings', async () => {
    const encodings = ['%FF', '%C3%28', '%zz', '%', '%C0%AF', 'a%00b'];
    for (const encoded of encodings) {
      for (const name of ['client_id', 'state', 'redirect_uri']) {
        const request = authorizationUrl(client);
        const url = `${request.url.replace(new RegExp(`${name}=[^&]*`), `${name}=${encoded}`)}`;
        const response = await browser.get(url);
        if (name === 'state' && response.statusCode === 302) {
          assert.doesNotMatch(String(response.headers.location), /[\r\n\0]/, `authorize state ${encoded}: a clean Location`);
          continue;
        }
        assertClientError(response, `authorize ${name}=${encoded}`);
      }
      assertClientError(await postRaw(gatehouse, '/token', `grant_type=client_credentials&client_id=${encoded}&client_secret=x`), `token client_id=${encoded}`);
      assertClientError(await postRaw(gatehouse, '/token', `grant_type=authorization_code&code=${encoded}`, basic), `token code=${encoded}`);
    }
    const rawColon = `Basic ${Buffer.from(`a:b:${client.clientId}:${client.secret}`).toString('base64')}`;
    assertClientError(await postRaw(gatehouse, '/token', 'grant_type=client_credentials', { authorization: rawColon }), 'unencoded colon');
    const badPercent = `Basic ${Buffer.from('%zz:%FF').toString('base64')}`;
    assertClientError(await postRaw(gatehouse, '/token', 'grant_type=client_credentials', { authorization: badPercent }), 'bad percent in Basic');
    const notBase64 = 'Basic !!!';
    assertClientError(await postRaw(gatehouse, '/token', 'grant_type=client_credentials', { authorization: notBase64 }), 'not Base64');
  });

  it('encodes CR and LF in the Location header', async () => {
    for (const scope of ['profile', 'not-allowed-scope']) {
      const request = authorizationUrl(client, { state: 'x\r\nSet-Cookie: injected=1', scope });
      const response = await browser.get(request.url);
      const location = locationOf(response);
      assert.doesNotMatch(location, /[\r\n]/, `${scope}: no raw CR or LF`);
      assert.equal(new URL(location).searchParams.get('state'), 'x\r\nSet-Cookie: injected=1', `${scope}: the state round-trips`);
      assert.ok(!String(response.headers['set-cookie'] ?? '').includes('injected'), `${scope}: no injected cookie`);
    }
  });

  it('rejects JSON and array values', async () => {
    const json = await gatehouse.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...basic, 'content-type': 'application/json' },
      payload: JSON.stringify({ grant_type: ['client_credentials'], scope: { admin: true } }),
    });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error, 'invalid_request');
  });

  it('stays fast on long repeated input', async () => {
    const timeOf = async (length: number) => {
      const started = Date.now();
      const repeated = 'a'.repeat(length);
      await browser.get(`/login?x=1`);
      await gatehouse.app.inject({ method: 'GET', url: '/login', headers: { 'accept-language': `${'en-'.repeat(length / 3)}`, 'user-agent': repeated } });
      await browser.get(authorizationUrl(client, { redirect_uri: `https://${repeated}` }).url);
      await browser.get(authorizationUrl(client, { scope: `${'a '.repeat(length / 2)}a` }).url);
      await browser.get(`/authorize?client_id=${repeated}`);
      return Date.now() - started;
    };
    await timeOf(1000);
    const long = await timeOf(30_000);
    assert.ok(long < 3000, `30,000-character inputs take ${long} ms`);
  });

  const ENDPOINTS = ['/token', '/revoke', '/introspect', '/userinfo', '/login', '/consent', '/end-session', '/jwks', '/device_authorization', '/.well-known/openid-configuration'];
  it('answers unsupported methods with 405', async () => {
    for (const url of ENDPOINTS) {
      for (const method of ['TRACE', 'PUT', 'DELETE'] as const) {
        const response = await gatehouse.app.inject({ method, url });
        assert.equal(response.statusCode, 405, `${method} ${url}: ${response.statusCode}`);
        assert.ok(typeof response.headers.allow === 'string', `${method} ${url}: an Allow header`);
      }
      const allowed = String((await gatehouse.app.inject({ method: 'PUT', url })).headers.allow).split(', ');
      for (const method of allowed) {
        const response = await gatehouse.app.inject({ method: method as 'GET', url });
        assert.notEqual(response.statusCode, 405, `${url}: ${method} is listed in Allow, so it is served`);
      }
    }
  });

  it('still redeems a code afterwards', async () => {
    const response = await exchangeCode(gatehouse, client, await authorize(browser, client, user));
    assert.equal(response.statusCode, 200, response.body);
  });
});

describe('raw connections', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse({ listen: true, captureLogs: true });
  });
  after(() => gatehouse.stop());

  /** Sends a request head that announces more body than it sends, then closes the connection. */
  function abortUpload(path: string): Promise<void> {
    const { port } = new URL(gatehouse.baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
            'Content-Length: 1000\r\n\r\ngrant_type=c',
        );
        setTimeout(() => socket.destroy(), 100);
      });
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
  }

  /** Sends raw bytes and returns everything the server writes back before it closes. */
  function exchangeRaw(request: string): Promise<string> {
    const { port } = new URL(gatehouse.baseUrl);
    return new Promise((resolve, reject) => {
      let received = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.once('close', () => resolve(received));
      socket.once('error', reject);
      setTimeout(() => socket.destroy(), 2000);
    });
  }

  it('rejects malformed HTTP with an OAuth error', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['a broken request line', 'GET /token HTTP/9.9 extra\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['a header without a colon', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nbroken header\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['oversized headers', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ];
    for (const [name, request, statusLine] of cases) {
      const response = await exchangeRaw(request);
      assert.match(response, statusLine, `${name}: the status line`);
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      assert.equal(body.error, 'invalid_request', `${name}: invalid_request`);
      assert.equal(typeof body.error_description, 'string', `${name}: a description`);
    }
  });

  it('logs an aborted body at info level', async () => {
    for (const path of ['/token', '/login', '/introspect']) await abortUpload(path);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const faults = gatehouse.logLines.filter((line) => Number(line.level) >= 50);
    assert.deepEqual(faults.map((line) => line.msg), [], 'no error-level log line');
    const aborted = gatehouse.logLines.filter((line) => line.msg === 'request aborted by the client');
    assert.equal(aborted.length, 3, 'each abort is logged once at info level');

    const metadata = await fetch(`${gatehouse.baseUrl}/.well-known/openid-configuration`);
    assert.equal(metadata.status, 200, 'the server still answers');
    assert.equal(gatehouse.logLines.filter((line) => line.msg === 'database available again').length, 0, 'no false recovery');
  });
});
