import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import {
  assertErrorRedirect,
  authorizePath,
  authorizeUrlFor,
  callbackOf,
  countIssued,
  requestEntries,
  sendWithCookies,
  startSecurityFixtures,
  type SecurityFixtures,
} from '../support/authorization-fixtures.js';
import { authorize, requestToken } from '../support/flows.js';
import type { TestClient } from '../support/gatehouse.js';
import { countRows } from '../support/rows.js';

describe('authorization request validation', () => {
  let fixtures: SecurityFixtures;
  /** A browser where alice is logged in and has authorized conf1 for `openid api:read`. */
  let remembered: BrowserSession;

  before(async () => {
    fixtures = await startSecurityFixtures();
    remembered = new BrowserSession(fixtures.gatehouse.app);
    await authorize(remembered, fixtures.conf1, fixtures.alice, { scope: 'openid api:read' });
  });
  after(() => fixtures.gatehouse.stop());

  /**
   * Sends the request in the remembered browser, where a valid request would get a code at once,
   * and asserts the error redirect and that no code was issued.
   */
  async function assertRedirectedError(
    client: TestClient,
    url: string,
    error: string,
    state: string | null = 'state-1234',
  ): Promise<URL> {
    const issuedBefore = await countIssued(fixtures.gatehouse);
    const response = await remembered.get(url);
    const callback = assertErrorRedirect(fixtures.gatehouse, response, {
      redirectUri: client.redirectUri,
      error,
      state: state ?? undefined,
    });
    assert.equal(await countIssued(fixtures.gatehouse), issuedBefore, `${url}: no code issued`);
    return callback;
  }

  it('issues a code for the base request', async () => {
    const response = await remembered.get(authorizeUrlFor(fixtures.conf1));
    assert.equal(response.statusCode, 302, response.body.slice(0, 200));
    assert.ok(callbackOf(response).searchParams.has('code'), 'the remembered authorization gets a code');
  });

  // RFC 9700 section 2.1.2: no implicit or hybrid flows.
  it('rejects response types other than code', async () => {
    for (const responseType of ['token', 'id_token token', 'code token', 'code id_token', 'foo']) {
      const callback = await assertRedirectedError(
        fixtures.conf1,
        authorizeUrlFor(fixtures.conf1, { response_type: responseType }),
        'unsupported_response_type',
      );
      assert.equal(callback.searchParams.has('access_token'), false, `${responseType}: no access token`);
      assert.equal(callback.searchParams.has('id_token'), false, `${responseType}: no ID token`);
    }
  });

  // RFC 6749 section 4.1.2.1: unauthorized_client for a client without the code grant.
  it('rejects clients without the code grant', async () => {
    const machine = await fixtures.gatehouse.createClient({
      name: 'Machine Client',
      redirectUris: ['https://machine.example.com/cb'],
      grantTypes: ['client_credentials'],
      scopes: ['openid', 'api:read'],
    });
    await assertRedirectedError(machine, authorizeUrlFor(machine), 'unauthorized_client');
  });

  // RFC 6749 section 3.3: Gatehouse rejects scopes the client may not request, and an empty scope.
  it('rejects forbidden and empty scopes', async () => {
    const { conf1 } = fixtures;
    await assertRedirectedError(conf1, authorizeUrlFor(conf1, { scope: 'openid admin:all' }), 'invalid_scope');
    await assertRedirectedError(conf1, authorizeUrlFor(conf1, { scope: '' }), 'invalid_scope');
    await assertRedirectedError(conf1, authorizeUrlFor(conf1, { scope: undefined }), 'invalid_scope');
  });

  // RFC 9700 section 2.1.1: PKCE for every client.
  it('requires PKCE from every client', async () => {
    const { conf1, pub1 } = fixtures;
    await assertRedirectedError(conf1, authorizeUrlFor(conf1, { code_challenge: undefined, code_challenge_method: undefined }), 'invalid_request');
    await assertRedirectedError(pub1, authorizeUrlFor(pub1, { code_challenge: undefined, code_challenge_method: undefined }), 'invalid_request');
  });

  // RFC 7636 section 4.3: plain is the default method, and only S256 is accepted.
  it('accepts only the S256 method', async () => {
    const { conf1 } = fixtures;
    for (const method of ['plain', 's256', 'S512', undefined]) {
      await assertRedirectedError(conf1, authorizeUrlFor(conf1, { code_challenge_method: method }), 'invalid_request');
    }
  });

  // RFC 7636 section 4.2: an S256 challenge is 43 base64url characters.
  it('rejects malformed code challenges', async () => {
    const { conf1 } = fixtures;
    const challenges = ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}+`, `${'a'.repeat(42)}/`, `${'a'.repeat(42)}=`];
    for (const challenge of challenges) {
      await assertRedirectedError(conf1, authorizeUrlFor(conf1, { code_challenge: challenge }), 'invalid_request');
    }
  });

  // RFC 6749 section 3.1: parameters must not be repeated.
  it('rejects repeated parameters', async () => {
    const { conf1 } = fixtures;
    const repeats: Array<[string, string]> = [
      ['scope', 'admin'],
      ['code_challenge', 'B'.repeat(43)],
      ['response_type', 'token'],
      ['nonce', 'other'],
    ];
    for (const repeat of repeats) {
      const entries = requestEntries(conf1).entries;
      entries.push(repeat);
      await assertRedirectedError(conf1, authorizePath(entries), 'invalid_request');
    }
    // The state is not trusted when repeated, so the error carries none.
    const entries = requestEntries(conf1, { state: 'a' }).entries;
    entries.push(['state', 'b']);
    await assertRedirectedError(conf1, authorizePath(entries), 'invalid_request', null);
  });

  // RFC 6749 section 3.1: unknown parameters are ignored. Gatehouse parses no bracket syntax, so
  // names such as scope[] are unknown names too.
  it('ignores unknown and bracketed parameters', async () => {
    const { gatehouse, conf1 } = fixtures;
    const entries = requestEntries(conf1).entries;
    entries.push(
      ['foo', 'bar'],
      ['__proto__[admin]', '1'],
      ['__proto__', 'x'],
      ['constructor[prototype][x]', '1'],
      ['scope[]', 'admin'],
      ['client_id[a]', 'b'],
    );
    const response = await remembered.get(authorizePath(entries));
    assert.equal(response.statusCode, 302, response.body.slice(0, 200));
    const callback = callbackOf(response);
    const code = callback.searchParams.get('code');
    assert.ok(code !== null, 'the flow proceeds with a code');
    assert.deepEqual(
      [...callback.searchParams.keys()].sort(),
      ['code', 'iss', 'state'],
      'only the response parameters reach the client',
    );
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype has no admin property');
    assert.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype has no x property');

    const rows = await gatehouse.database.db.selectFrom('authorization_codes').select('scopes').execute();
    assert.equal(rows.some((row) => row.scopes.includes('admin')), false, 'scope[] added no scope to any code');

    const again = await remembered.get(authorizeUrlFor(conf1));
    assert.equal(again.statusCode, 302, 'a plain request afterwards still works');
    assert.ok(callbackOf(again).searchParams.has('code'));
  });

  // RFC 6749 section 4.1.2: the state comes back exactly as sent.
  it('echoes the state exactly', async () => {
    const { conf1 } = fixtures;
    const states = ['a+b c&d=e', 'x'.repeat(1024), 'caf\u00e9 \u2603 %41'];
    for (const state of states) {
      const response = await remembered.get(authorizeUrlFor(conf1, { state }));
      assert.equal(response.statusCode, 302, response.body.slice(0, 200));
      assert.equal(callbackOf(response).searchParams.get('state'), state, `state of ${state.length} characters`);
    }

    const issuedBefore = await countRows(fixtures.gatehouse, 'authorization_codes');
    const oversized = await remembered.get(authorizeUrlFor(conf1, { state: 's'.repeat(8192) }));
    assert.ok(oversized.statusCode < 500, `an 8 KB state is not a server error: ${oversized.statusCode}`);
    const callback = new URL(locationOf(oversized));
    assert.equal(callback.searchParams.get('error'), 'invalid_request', 'an 8 KB state is rejected');
    assert.equal(callback.searchParams.has('code'), false, 'no code for an 8 KB state');
    assert.equal(await countRows(fixtures.gatehouse, 'authorization_codes'), issuedBefore, 'no code row');
  });

  // RFC 9110 section 15.5.6: other methods get 405, and HEAD must not issue a code.
  it('issues no code for HEAD, OPTIONS or PUT', async () => {
    const { gatehouse, conf1 } = fixtures;
    for (const method of ['HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'] as const) {
      const issuedBefore = await countIssued(gatehouse);
      const response = await sendWithCookies(gatehouse, remembered, { method, url: authorizeUrlFor(conf1) });
      assert.equal(response.statusCode, 405, `${method}: status`);
      assert.equal(response.headers.location, undefined, `${method}: no Location header`);
      assert.match(String(response.headers.allow), /GET/, `${method}: Allow names GET`);
      assert.equal(await countIssued(gatehouse), issuedBefore, `${method}: no code issued`);
    }
  });

  // OpenID Connect Core section 6: request objects are not supported, and no request_uri is fetched.
  it('rejects request objects without fetching them', async () => {
    const { conf1 } = fixtures;
    let fetches = 0;
    const server: Server = createServer((_request, response) => {
      fetches += 1;
      response.end('eyJhbGciOiJub25lIn0.e30.');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await assertRedirectedError(conf1, authorizeUrlFor(conf1, { request: 'eyJhbGciOiJub25lIn0.e30.' }), 'request_not_supported');
      await assertRedirectedError(
        conf1,
        authorizeUrlFor(conf1, { request_uri: `http://127.0.0.1:${port}/r` }),
        'request_uri_not_supported',
      );
      assert.equal(fetches, 0, 'Gatehouse never fetched the request_uri');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('redeems codes from the accepted requests', async () => {
    // A final check that the rejections above left the client able to finish a normal flow.
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const authorization = await authorize(browser, conf1, alice, { scope: 'openid api:read' });
    const response = await requestToken(gatehouse, conf1, {
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: conf1.redirectUri,
      code_verifier: authorization.verifier,
    });
    assert.equal(response.statusCode, 200, response.body);
  });
});
