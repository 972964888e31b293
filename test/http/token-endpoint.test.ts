import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { hashSecret } from '../../src/core/secrets.js';
import type { Database } from '../../src/storage/schema.js';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode, requestToken, type CompletedAuthorization } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { countRows, dumpTable } from '../support/rows.js';
import { basicAuthorization, postTokenForm, requestTokenWithPost } from '../support/token-requests.js';

/** Asserts an OAuth JSON error response with its status and code, uncached. */
function assertTokenError(response: LightMyRequestResponse, status: number, error: string, message: string): void {
  assert.equal(response.statusCode, status, `${message}: status ${status}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/json/, `${message}: a JSON body`);
  const body = response.json();
  assert.equal(body.error, error, `${message}: error ${error}`);
  assert.equal(typeof body.error_description, 'string', `${message}: an error_description`);
  assert.equal(body.access_token, undefined, `${message}: no access token`);
  assert.equal(response.headers['cache-control'], 'no-store', `${message}: Cache-Control: no-store`);
  assert.equal(response.headers.pragma, 'no-cache', `${message}: Pragma: no-cache`);
}

function codeForm(client: TestClient, authorization: CompletedAuthorization): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code: authorization.code,
    redirect_uri: client.redirectUri,
    code_verifier: authorization.verifier,
  };
}

describe('token endpoint', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let codeOnlyClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  /** Runs an authorization request in the shared browser, which logs in and consents on first use only. */
  const newAuthorization = (target: TestClient = client) => authorize(browser, target, user, { scope: 'profile email' });

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Token Test App' });
    codeOnlyClient = await gatehouse.createClient({ name: 'Code Only App', grantTypes: ['authorization_code'] });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  describe('client authentication', () => {
    it('accepts client_secret_basic', async () => {
      const response = await exchangeCode(gatehouse, client, await newAuthorization());
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json().token_type, 'Bearer', 'a bearer token is issued');
    });

    it('accepts client_secret_post', async () => {
      const postClient = await gatehouse.createClient({ name: 'Post App', tokenEndpointAuthMethod: 'client_secret_post' });
      const authorization = await newAuthorization(postClient);
      const response = await requestTokenWithPost(gatehouse, postClient, codeForm(postClient, authorization));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(typeof response.json().access_token, 'string', 'an access token is issued');
    });

    // OpenID Connect Core section 9: the client uses the method it registered.
    it('rejects a method other than the registered one', async () => {
      const postClient = await gatehouse.createClient({ name: 'Post Only App', tokenEndpointAuthMethod: 'client_secret_post' });
      const posted = await requestTokenWithPost(gatehouse, client, codeForm(client, await newAuthorization()));
      assert.equal(posted.statusCode, 401, `a Basic client posting its secret: ${posted.body}`);
      assert.equal(posted.json().error, 'invalid_client', 'invalid_client for the posted secret');
      const basic = await exchangeCode(gatehouse, postClient, await newAuthorization(postClient));
      assert.equal(basic.statusCode, 401, `a post client using Basic: ${basic.body}`);
      assert.equal(basic.json().error, 'invalid_client', 'invalid_client for Basic');
    });

    it('rejects wrong Basic secret with challenge', async () => {
      const authorization = await newAuthorization();
      const response = await postTokenForm(gatehouse, codeForm(client, authorization), {
        headers: { authorization: basicAuthorization(client.clientId, 'wrong-secret') },
      });
      assertTokenError(response, 401, 'invalid_client', 'wrong Basic secret');
      assert.match(String(response.headers['www-authenticate']), /^Basic realm="gatehouse"/, 'the response asks for Basic');

      const retry = await exchangeCode(gatehouse, client, authorization);
      assert.equal(retry.statusCode, 200, 'the failed authentication did not use up the code');
    });

    it('answers unknown client and wrong secret alike', async () => {
      const form = { grant_type: 'client_credentials' };
      const pairs: Array<[string, LightMyRequestResponse, LightMyRequestResponse]> = [
        [
          'Basic',
          await postTokenForm(gatehouse, form, { headers: { authorization: basicAuthorization('no-such-client', 'some-secret') } }),
          await postTokenForm(gatehouse, form, { headers: { authorization: basicAuthorization(client.clientId, 'some-secret') } }),
        ],
        [
          'post',
          await postTokenForm(gatehouse, { ...form, client_id: 'no-such-client', client_secret: 'some-secret' }),
          await postTokenForm(gatehouse, { ...form, client_id: client.clientId, client_secret: 'some-secret' }),
        ],
      ];
      for (const [method, unknown, wrongSecret] of pairs) {
        assertTokenError(unknown, 401, 'invalid_client', `${method}: unknown client`);
        assertTokenError(wrongSecret, 401, 'invalid_client', `${method}: wrong secret`);
        assert.equal(unknown.body, wrongSecret.body, `${method}: the bodies are identical`);
        assert.equal(unknown.headers['www-authenticate'], wrongSecret.headers['www-authenticate'], `${method}: same challenge`);
      }
    });

    it('ignores credentials in the query string', async () => {
      const authorization = await newAuthorization();
      const query = new URLSearchParams({ client_id: client.clientId, client_secret: client.secret ?? '' });
      const response = await postTokenForm(gatehouse, codeForm(client, authorization), { url: `/token?${query}` });
      assertTokenError(response, 401, 'invalid_client', 'credentials in the query');

      const retry = await exchangeCode(gatehouse, client, authorization);
      assert.equal(retry.statusCode, 200, 'the rejected request did not use up the code');
    });

    it('rejects Basic plus a body secret', async () => {
      const authorization = await newAuthorization();
      const response = await postTokenForm(
        gatehouse,
        { ...codeForm(client, authorization), client_secret: client.secret ?? '' },
        { headers: { authorization: basicAuthorization(client.clientId, client.secret ?? '') } },
      );
      assertTokenError(response, 400, 'invalid_request', 'Basic plus client_secret');

      const retry = await exchangeCode(gatehouse, client, authorization);
      assert.equal(retry.statusCode, 200, 'the rejected request did not use up the code');
    });

    it('rejects a confidential client without secret', async () => {
      const authorization = await newAuthorization();
      const response = await postTokenForm(gatehouse, { ...codeForm(client, authorization), client_id: client.clientId });
      assertTokenError(response, 401, 'invalid_client', 'client_id without a secret');
    });
  });

  describe('request format', () => {
    const bodies: Array<{ name: string; contentType: string; payload: (form: Record<string, string>) => string }> = [
      { name: 'a JSON body', contentType: 'application/json', payload: (form) => JSON.stringify(form) },
      { name: 'a text/plain body', contentType: 'text/plain', payload: (form) => new URLSearchParams(form).toString() },
      { name: 'an XML body', contentType: 'application/xml', payload: () => '<grant_type>client_credentials</grant_type>' },
      { name: 'no content type', contentType: '', payload: (form) => new URLSearchParams(form).toString() },
    ];
    for (const { name, contentType, payload } of bodies) {
      it(`rejects ${name}`, async () => {
        const tokensBefore = await countRows(gatehouse, 'access_tokens');
        const headers: Record<string, string> = { authorization: basicAuthorization(client.clientId, client.secret ?? '') };
        if (contentType !== '') headers['content-type'] = contentType;
        const response = await gatehouse.app.inject({
          method: 'POST',
          url: '/token',
          headers,
          payload: payload({ grant_type: 'client_credentials' }),
        });
        assertTokenError(response, 400, 'invalid_request', name);
        assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, `${name}: no token stored`);
      });
    }

    it('returns no tokens for GET', async () => {
      const query = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.secret ?? '',
      });
      const response = await gatehouse.app.inject({
        method: 'GET',
        url: `/token?${query}`,
        headers: { authorization: basicAuthorization(client.clientId, client.secret ?? '') },
      });
      assert.ok([404, 405].includes(response.statusCode), `GET /token answers 404 or 405, got ${response.statusCode}`);
      assert.doesNotMatch(response.body, /access_token/, 'the body carries no token');
    });

    it('rejects repeated parameters', async () => {
      const authorization = await newAuthorization();
      const body = `${new URLSearchParams(codeForm(client, authorization))}&code=${encodeURIComponent(authorization.code)}`;
      const response = await gatehouse.app.inject({
        method: 'POST',
        url: '/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(client.clientId, client.secret ?? ''),
        },
        payload: body,
      });
      assertTokenError(response, 400, 'invalid_request', 'a repeated code');
    });
  });

  describe('grant_type', () => {
    const cases: Array<{ name: string; form: Record<string, string>; useCodeOnlyClient?: boolean; error: string }> = [
      { name: 'missing grant_type', form: {}, error: 'invalid_request' },
      { name: 'password grant', form: { grant_type: 'password', username: 'u', password: 'p' }, error: 'unsupported_grant_type' },
      { name: 'implicit grant', form: { grant_type: 'implicit' }, error: 'unsupported_grant_type' },
      {
        name: 'unregistered device code grant',
        form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'x' },
        error: 'unauthorized_client',
      },
      {
        name: 'unregistered refresh_token grant',
        form: { grant_type: 'refresh_token', refresh_token: 'x' },
        useCodeOnlyClient: true,
        error: 'unauthorized_client',
      },
      {
        name: 'unregistered client_credentials grant',
        form: { grant_type: 'client_credentials' },
        useCodeOnlyClient: true,
        error: 'unauthorized_client',
      },
    ];
    for (const { name, form, useCodeOnlyClient, error } of cases) {
      it(`${name} gives ${error}`, async () => {
        const target = useCodeOnlyClient === true ? codeOnlyClient : client;
        const tokensBefore = await countRows(gatehouse, 'access_tokens');
        const response = await requestToken(gatehouse, target, form);
        assertTokenError(response, 400, error, name);
        assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, `${name}: no token stored`);
      });
    }
  });

  it('sends no-store on success and error', async () => {
    const success = await exchangeCode(gatehouse, client, await newAuthorization());
    assert.equal(success.statusCode, 200, success.body);
    assert.equal(success.headers['cache-control'], 'no-store', 'success: Cache-Control: no-store');
    assert.equal(success.headers.pragma, 'no-cache', 'success: Pragma: no-cache');

    const failures: Array<[string, LightMyRequestResponse]> = [
      ['invalid_grant', await requestToken(gatehouse, client, { grant_type: 'authorization_code', code: 'unknown-code' })],
      ['invalid_client', await postTokenForm(gatehouse, { grant_type: 'client_credentials' })],
      ['unsupported_grant_type', await requestToken(gatehouse, client, { grant_type: 'password' })],
      [
        'invalid_request',
        await gatehouse.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json' }, payload: '{}' }),
      ],
    ];
    for (const [error, response] of failures) {
      assert.equal(response.json().error, error, `the failure is ${error}`);
      assert.equal(response.headers['cache-control'], 'no-store', `${error}: Cache-Control: no-store`);
      assert.equal(response.headers.pragma, 'no-cache', `${error}: Pragma: no-cache`);
    }
  });

  it('stores only hashes of secrets', async () => {
    const storedClient = await gatehouse.createClient({ name: 'Hash Check App' });
    const authorization = await newAuthorization(storedClient);
    const codeTokens = (await exchangeCode(gatehouse, storedClient, authorization)).json();
    const refreshed = (
      await requestToken(gatehouse, storedClient, { grant_type: 'refresh_token', refresh_token: codeTokens.refresh_token })
    ).json();
    const serviceToken = (await requestToken(gatehouse, storedClient, { grant_type: 'client_credentials' })).json();

    const secrets: Array<{ name: string; value: string; table: keyof Database }> = [
      { name: 'the client secret', value: storedClient.secret ?? '', table: 'clients' },
      { name: 'the authorization code', value: authorization.code, table: 'authorization_codes' },
      { name: 'the first access token', value: codeTokens.access_token, table: 'access_tokens' },
      { name: 'the first refresh token', value: codeTokens.refresh_token, table: 'refresh_tokens' },
      { name: 'the rotated access token', value: refreshed.access_token, table: 'access_tokens' },
      { name: 'the rotated refresh token', value: refreshed.refresh_token, table: 'refresh_tokens' },
      { name: 'the client credentials token', value: serviceToken.access_token, table: 'access_tokens' },
    ];
    const tables: Array<keyof Database> = [
      'users',
      'clients',
      'sessions',
      'authorization_requests',
      'grants',
      'token_families',
      'authorization_codes',
      'access_tokens',
      'refresh_tokens',
    ];
    const dumps = new Map<keyof Database, string>();
    for (const table of tables) dumps.set(table, await dumpTable(gatehouse, table));

    for (const { name, value, table } of secrets) {
      assert.ok(value.length >= 43, `${name} was issued`);
      for (const [dumped, text] of dumps) {
        assert.equal(text.includes(value), false, `${name} is not stored in plain text in ${dumped}`);
      }
      assert.ok(dumps.get(table)?.includes(hashSecret(value)), `${name} is stored as its SHA-256 hash in ${table}`);
    }
    const sessionCookie = browser.cookies.get('gatehouse_session') ?? '';
    assert.ok(sessionCookie !== '', 'the browser has a session cookie');
    assert.equal(dumps.get('sessions')?.includes(sessionCookie), false, 'the session cookie is not stored in plain text');
  });
});
