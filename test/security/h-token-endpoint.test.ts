import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken, type CompletedAuthorization } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { assertTokenError, issuedRowCounts, median, postRaw, tokenSetOf } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { basicAuthorization, postTokenForm } from '../support/token-requests.js';

function codeForm(client: TestClient, authorization: CompletedAuthorization): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code: authorization.code,
    redirect_uri: client.redirectUri,
    code_verifier: authorization.verifier,
  };
}

describe('token endpoint security', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let codeOnlyClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  const newAuthorization = (target: TestClient = client, scope = 'profile email') =>
    authorize(browser, target, user, { scope });

  /** Redeems the code with the right credentials, to show that a rejected request left it unused. */
  async function assertCodeStillRedeemable(authorization: CompletedAuthorization, message: string): Promise<void> {
    const retry = await exchangeCode(gatehouse, client, authorization);
    assert.equal(retry.statusCode, 200, `${message}: the code is still redeemable: ${retry.body}`);
  }

  before(async () => {
    // A high limit keeps the many deliberate failures below from pausing the clients.
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_CLIENT_AUTH_MAX_FAILURES: '10000' } });
    client = await gatehouse.createClient({ name: 'Token Security App', scopes: ['openid', 'profile', 'email', 'offline_access'] });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    publicClient = await gatehouse.createClient({ name: 'Public App', public: true });
    codeOnlyClient = await gatehouse.createClient({ name: 'Code Only App', grantTypes: ['authorization_code'], scopes: ['openid', 'profile'] });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  // RFC 6749 section 3.2: the token endpoint takes POST only.
  it('rejects GET with 405', async () => {
    const authorization = await newAuthorization();
    const query = new URLSearchParams(codeForm(client, authorization));
    const response = await gatehouse.app.inject({
      method: 'GET',
      url: `/token?${query}`,
      headers: { authorization: basicAuthorization(client.clientId, client.secret ?? '') },
    });
    assert.equal(response.statusCode, 405, response.body);
    assert.equal(response.headers.allow, 'POST', 'the Allow header names POST');
    assert.doesNotMatch(response.body, /access_token/, 'no token in the body');
    await assertCodeStillRedeemable(authorization, 'GET');
  });

  it('rejects bodies that are not form-encoded', async () => {
    const authorization = await newAuthorization();
    const form = codeForm(client, authorization);
    const headers = { authorization: basicAuthorization(client.clientId, client.secret ?? '') };
    const cases: Array<[string, string | undefined, string]> = [
      ['JSON', 'application/json', JSON.stringify(form)],
      ['text/plain', 'text/plain', new URLSearchParams(form).toString()],
      ['multipart', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nauthorization_code\r\n--x--\r\n`],
      ['no content type', undefined, new URLSearchParams(form).toString()],
    ];
    for (const [name, contentType, payload] of cases) {
      const requestHeaders: Record<string, string> = { ...headers };
      if (contentType !== undefined) requestHeaders['content-type'] = contentType;
      const response = await gatehouse.app.inject({ method: 'POST', url: '/token', headers: requestHeaders, payload });
      assertTokenError(response, 400, 'invalid_request', name);
    }

    const withCharset = await postTokenForm(gatehouse, form, {
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    });
    assert.equal(withCharset.statusCode, 200, `a charset parameter is accepted: ${withCharset.body}`);
  });

  // RFC 6749 section 2.3.1: client credentials belong in the header or the body, never the URL.
  it('ignores credentials in the query string', async () => {
    const authorization = await newAuthorization();
    const query = new URLSearchParams({ client_id: client.clientId, client_secret: client.secret ?? '' });
    const response = await postTokenForm(gatehouse, codeForm(client, authorization), { url: `/token?${query}` });
    assertTokenError(response, 401, 'invalid_client', 'credentials in the query');
    await assertCodeStillRedeemable(authorization, 'credentials in the query');
  });

  it('rejects two authentication methods at once', async () => {
    const authorization = await newAuthorization();
    const response = await postTokenForm(
      gatehouse,
      { ...codeForm(client, authorization), client_id: client.clientId, client_secret: client.secret ?? '' },
      { headers: { authorization: basicAuthorization(client.clientId, client.secret ?? '') } },
    );
    assertTokenError(response, 400, 'invalid_request', 'Basic and client_secret');
    await assertCodeStillRedeemable(authorization, 'two methods');
  });

  it('answers every authentication failure alike', async () => {
    const authorization = await newAuthorization();
    const form = codeForm(client, authorization);
    const failures = [
      ['wrong secret', basicAuthorization(client.clientId, 'wrong-secret')],
      ['unknown client', basicAuthorization('no-such-client', 'wrong-secret')],
      ['empty secret', `Basic ${Buffer.from(`${client.clientId}:`).toString('base64')}`],
      ["another client's secret", basicAuthorization(client.clientId, otherClient.secret ?? '')],
    ] as const;
    const bodies = new Set<string>();
    for (const [name, header] of failures) {
      const response = await postTokenForm(gatehouse, form, { headers: { authorization: header } });
      assertTokenError(response, 401, 'invalid_client', name);
      assert.match(String(response.headers['www-authenticate']), /^Basic realm="gatehouse"/, `${name}: a Basic challenge`);
      bodies.add(response.body);
    }
    assert.equal(bodies.size, 1, `one body for every failure: ${[...bodies].join(' | ')}`);

    const postFailure = await postTokenForm(gatehouse, { ...form, client_id: 'no-such-client', client_secret: 'x' });
    assertTokenError(postFailure, 401, 'invalid_client', 'client_secret_post failure');
    // RFC 9110 section 15.5.2: a 401 always carries a challenge.
    assert.match(String(postFailure.headers['www-authenticate']), /^Basic realm="gatehouse"/, 'a challenge on every 401');
    await assertCodeStillRedeemable(authorization, 'failed authentication');
  });

  it('keeps public and confidential clients apart', async () => {
    const before = await countRows(gatehouse, 'access_tokens');
    const publicCredentials = await postTokenForm(gatehouse, { grant_type: 'client_credentials', client_id: publicClient.clientId });
    assert.ok([400, 401].includes(publicCredentials.statusCode), `public client_credentials: ${publicCredentials.body}`);
    assert.ok(
      ['invalid_client', 'unauthorized_client'].includes(publicCredentials.json().error),
      `public client_credentials error: ${publicCredentials.body}`,
    );

    const confidentialWithoutSecret = await postTokenForm(gatehouse, { grant_type: 'client_credentials', client_id: client.clientId });
    assertTokenError(confidentialWithoutSecret, 401, 'invalid_client', 'confidential client without secret');

    const authorization = await newAuthorization();
    const codeWithoutSecret = await postTokenForm(gatehouse, { ...codeForm(client, authorization), client_id: client.clientId });
    assertTokenError(codeWithoutSecret, 401, 'invalid_client', 'code exchange without secret');

    const publicWithSecret = await postTokenForm(gatehouse, {
      grant_type: 'client_credentials',
      client_id: publicClient.clientId,
      client_secret: 'made-up',
    });
    assertTokenError(publicWithSecret, 401, 'invalid_client', 'public client with a secret');
    assert.equal(await countRows(gatehouse, 'access_tokens'), before, 'no access token was stored');
    await assertCodeStillRedeemable(authorization, 'confidential client without secret');
  });

  // Secrets are compared as SHA-256 digests with timingSafeEqual, and an unknown client hashes the presented secret too.
  it('takes similar time for near and far secrets', async () => {
    const secret = client.secret ?? '';
    const variants = [0, 8, 16, 31].map((shared) => {
      const tail = [...secret.slice(shared)].map((character) => (character === 'A' ? 'B' : 'A')).join('');
      return { name: `${shared} shared`, header: basicAuthorization(client.clientId, secret.slice(0, shared) + tail) };
    });
    variants.push({ name: 'unknown client', header: basicAuthorization('no-such-client-id-000000', secret) });

    const samples = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
    const form = { grant_type: 'client_credentials' };
    // Interleaved rounds spread any machine load evenly over the variants.
    for (let round = 0; round < 25; round += 1) {
      for (const variant of variants) {
        const started = process.hrtime.bigint();
        const response = await postTokenForm(gatehouse, form, { headers: { authorization: variant.header } });
        const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
        assert.equal(response.statusCode, 401, `${variant.name}: ${response.body}`);
        samples.get(variant.name)?.push(elapsed);
      }
    }
    const medians = [...samples].map(([name, values]) => ({ name, median: median(values) }));
    const fastest = Math.min(...medians.map((entry) => entry.median));
    for (const entry of medians) {
      // Each request takes about a millisecond, so a real leak of a few microseconds would not show
      // here; the bound only catches a whole extra code path, such as a database write or a hash.
      assert.ok(
        entry.median <= fastest * 3 + 5,
        `${entry.name} median ${entry.median.toFixed(2)} ms against the fastest ${fastest.toFixed(2)} ms`,
      );
    }
  });

  it('rejects unknown and empty grant types', async () => {
    for (const grantType of ['password', 'implicit', 'urn:example:unknown']) {
      const response = await requestToken(gatehouse, client, { grant_type: grantType, username: user.username, password: user.password });
      assertTokenError(response, 400, 'unsupported_grant_type', grantType);
    }
    const empty = await requestToken(gatehouse, client, { grant_type: '' });
    assertTokenError(empty, 400, 'invalid_request', 'empty grant_type');

    const notAllowed = await requestToken(gatehouse, codeOnlyClient, { grant_type: 'client_credentials' });
    assertTokenError(notAllowed, 400, 'unauthorized_client', 'grant not registered for the client');
  });

  // RFC 6749 section 5.1 and OpenID Connect Core section 3.1.3.3: token responses are never cached.
  it('marks success and errors no-store', async () => {
    const success = await exchangeCode(gatehouse, client, await newAuthorization());
    assert.equal(success.statusCode, 200, success.body);
    assert.equal(success.headers['cache-control'], 'no-store');
    assert.equal(success.headers.pragma, 'no-cache');

    const failure = await requestToken(gatehouse, client, { grant_type: 'authorization_code', code: 'unknown' });
    assertTokenError(failure, 400, 'invalid_grant', 'unknown code');
  });

  it('shapes responses by grant and scope', async () => {
    const withOpenId = tokenSetOf(await exchangeCode(gatehouse, client, await newAuthorization(client, 'openid profile')));
    assert.equal(withOpenId.token_type, 'Bearer');
    assert.equal(typeof withOpenId.expires_in, 'number');
    assert.ok(withOpenId.expires_in > 0, 'expires_in is positive');
    assert.equal(withOpenId.scope, 'openid profile');
    assert.equal(typeof withOpenId.refresh_token, 'string', 'a refresh token for a client registered for refresh');
    assert.equal(typeof withOpenId.id_token, 'string', 'an ID token for openid');

    const withoutOpenId = tokenSetOf(await exchangeCode(gatehouse, client, await newAuthorization(client, 'profile')));
    assert.equal(withoutOpenId.id_token, undefined, 'no ID token without openid');

    const codeOnly = await exchangeCode(gatehouse, codeOnlyClient, await newAuthorization(codeOnlyClient, 'openid profile'));
    assert.match(String(codeOnly.headers['content-type']), /^application\/json/);
    assert.equal(tokenSetOf(codeOnly).refresh_token, undefined, 'no refresh token for a client without the refresh grant');
  });

  // RFC 6749 section 3.1: parameters must not be repeated.
  it('rejects repeated parameters without using the code', async () => {
    const authorization = await newAuthorization();
    const second = await newAuthorization();
    const base = new URLSearchParams(codeForm(client, authorization));
    const repeats: Array<[string, string]> = [
      ['code', second.code],
      ['grant_type', 'refresh_token'],
      ['code_verifier', second.verifier],
      ['client_id', otherClient.clientId],
    ];
    const before = await issuedRowCounts(gatehouse);
    for (const [name, value] of repeats) {
      const body = new URLSearchParams(base);
      if (name === 'client_id') body.append(name, client.clientId);
      body.append(name, value);
      const response = await postRaw(gatehouse, '/token', body.toString(), {
        authorization: basicAuthorization(client.clientId, client.secret ?? ''),
      });
      assertTokenError(response, 400, 'invalid_request', `repeated ${name}`);
    }
    assert.deepEqual(await issuedRowCounts(gatehouse), before, 'nothing was issued');
    await assertCodeStillRedeemable(authorization, 'repeated parameters');
    await assertCodeStillRedeemable(second, 'the second code');
  });

  // RFC 6749 section 3.1: an empty parameter counts as omitted.
  it('treats an empty code_verifier as missing', async () => {
    const authorization = await newAuthorization();
    const response = await requestToken(gatehouse, client, { ...codeForm(client, authorization), code_verifier: '' });
    assertTokenError(response, 400, 'invalid_grant', 'empty code_verifier');
    assert.match(response.json().error_description, /code_verifier/, 'the description names code_verifier');
  });
});

describe('token endpoint failure limit', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let bystander: TestClient;

  before(async () => {
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_CLIENT_AUTH_MAX_FAILURES: '3' } });
    client = await gatehouse.createClient({ name: 'Limited App' });
    bystander = await gatehouse.createClient({ name: 'Bystander App' });
  });
  after(() => gatehouse.stop());

  const credentialsGrant = (target: TestClient, secret: string) =>
    postTokenForm(gatehouse, { grant_type: 'client_credentials' }, { headers: { authorization: basicAuthorization(target.clientId, secret) } });

  it('pauses a client after repeated failures', async () => {
    const accepted = await credentialsGrant(client, client.secret ?? '');
    assert.equal(accepted.statusCode, 200, `the right secret works at first: ${accepted.body}`);

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      assertTokenError(await credentialsGrant(client, 'wrong-secret'), 401, 'invalid_client', `failure ${attempt}`);
    }
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const paused = await credentialsGrant(client, client.secret ?? '');
    assertTokenError(paused, 429, 'invalid_client', 'the right secret while paused');
    assert.ok(Number(paused.headers['retry-after']) > 0, `a Retry-After header: ${paused.headers['retry-after']}`);
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no token while paused');

    const revocation = await gatehouse.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuthorization(client.clientId, client.secret ?? '') },
      payload: 'token=anything',
    });
    assertTokenError(revocation, 429, 'invalid_client', 'revocation while paused');

    const other = await credentialsGrant(bystander, bystander.secret ?? '');
    assert.equal(other.statusCode, 200, `another client is not affected: ${other.body}`);

    gatehouse.clock.advance(15 * 60);
    const resumed = await credentialsGrant(client, client.secret ?? '');
    assert.equal(resumed.statusCode, 200, `the client works again after the window: ${resumed.body}`);
  });

  it('keeps the pause to the failing address', async () => {
    const target = await gatehouse.createClient({ name: 'Shared App' });
    const fromAddress = (secret: string, remoteAddress: string) =>
      gatehouse.app.inject({
        method: 'POST',
        url: '/token',
        remoteAddress,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(target.clientId, secret),
        },
        payload: 'grant_type=client_credentials',
      });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      assertTokenError(await fromAddress('wrong-secret', '127.0.0.71'), 401, 'invalid_client', `failure ${attempt}`);
    }
    assertTokenError(await fromAddress(target.secret ?? '', '127.0.0.71'), 429, 'invalid_client', 'the guessing address');
    const elsewhere = await fromAddress(target.secret ?? '', '127.0.0.72');
    assert.equal(elsewhere.statusCode, 200, `the client itself, calling from its own address, is not locked out: ${elsewhere.body}`);
  });

  it('counts failures for unknown client ids too', async () => {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const response = await postTokenForm(gatehouse, { grant_type: 'client_credentials', client_id: 'made-up-client', client_secret: 'x' });
      assertTokenError(response, 401, 'invalid_client', `failure ${attempt}`);
    }
    const paused = await postTokenForm(gatehouse, { grant_type: 'client_credentials', client_id: 'made-up-client', client_secret: 'x' });
    assertTokenError(paused, 429, 'invalid_client', 'unknown client while paused');
  });
});
