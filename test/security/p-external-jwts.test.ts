import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize, exchangeCode } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { assertTokenError, issuedRowCounts, tokenSetOf } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { basicAuthorization, postTokenForm } from '../support/token-requests.js';

const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Builds a compact JWS from a header and payload with the given signature part. */
function compact(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${base64url(header)}.${base64url(payload)}.${signature}`;
}

async function isSignedIn(browser: BrowserSession): Promise<boolean> {
  return /<h1>Signed in<\/h1>/.test((await browser.get('/')).body);
}

describe('JWTs from outside', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let rsaClient: TestClient;
  let alice: TestUser;
  let browser: BrowserSession;
  let keyServer: Server;
  let keyServerUrl: string;
  let keyServerHits = 0;
  let claims: Record<string, unknown>;
  let rsaKid: string;
  let rsaJwk: JWK;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Hint App', scopes: ['openid', 'profile'] });
    rsaClient = await gatehouse.createClient({ name: 'RSA Hint App', scopes: ['openid', 'profile'], idTokenSignedResponseAlg: 'RS256' });
    alice = await gatehouse.createUser({ username: 'alice' });
    browser = new BrowserSession(gatehouse.app);
    await authorize(browser, client, alice, { scope: 'openid' });
    await authorize(browser, rsaClient, alice, { scope: 'openid' });
    claims = { iss: gatehouse.config.issuer, sub: alice.id, aud: rsaClient.clientId, iat: Math.floor(Date.now() / 1000) };

    const jwks = (await gatehouse.app.inject({ method: 'GET', url: '/jwks' })).json() as { keys: JWK[] };
    const rsa = jwks.keys.find((key) => key.alg === 'RS256');
    assert.ok(rsa !== undefined && typeof rsa.kid === 'string', 'the JWKS has an RS256 key');
    rsaJwk = rsa;
    rsaKid = rsa.kid;

    // A key host on loopback that records whether Gatehouse ever fetches from it.
    keyServer = createServer((_request, response) => {
      keyServerHits += 1;
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => keyServer.close(() => resolve()));
    await gatehouse.stop();
  });

  /** Forged hints, each with the name of the attack. */
  async function forgedHints(): Promise<Array<[string, string]>> {
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const signWithAttackerKey = (header: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', ...header }).sign(attacker.privateKey);
    const rsaPublic = await importJWK(rsaJwk, 'RS256');
    const pem = await exportSPKI(rsaPublic as CryptoKey);

    return [
      ['alg none', compact({ alg: 'none', typ: 'JWT', kid: rsaKid }, claims)],
      ['alg none without kid', compact({ alg: 'none' }, claims)],
      ['HS256 keyed with the PEM public key', await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: rsaKid }).sign(new TextEncoder().encode(pem))],
      ['HS256 keyed with the JWK', await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: rsaKid }).sign(new TextEncoder().encode(JSON.stringify(rsaJwk)))],
      ['embedded jwk', await signWithAttackerKey({ jwk: attackerJwk })],
      ['embedded jwk with a real kid', await signWithAttackerKey({ jwk: attackerJwk, kid: rsaKid })],
      ['jku on a key host', await signWithAttackerKey({ jku: `${keyServerUrl}/jwks`, kid: 'attacker' })],
      ['x5u on a key host', await signWithAttackerKey({ x5u: `${keyServerUrl}/cert.pem` })],
      ['x5c', await signWithAttackerKey({ x5c: [Buffer.from('not a certificate').toString('base64')] })],
      ['kid path traversal', await signWithAttackerKey({ kid: '../../../../dev/null' })],
      ['kid SQL', await signWithAttackerKey({ kid: "' OR '1'='1" })],
      ['unknown kid', await signWithAttackerKey({ kid: 'no-such-key' })],
      ['long kid', await signWithAttackerKey({ kid: 'k'.repeat(3000) })],
      ['kid with a NUL character', compact({ alg: 'ES256', kid: 'a\u0000' }, claims, 'AAAA')],
      ['kid as a boolean', compact({ alg: 'ES256', kid: true }, claims, 'AAAA')],
      ['kid as an object', compact({ alg: 'ES256', kid: { value: rsaKid } }, claims, 'AAAA')],
      ['kid as an array', compact({ alg: 'RS256', kid: [rsaKid] }, claims, 'AAAA')],
      ['alg as a number', compact({ alg: 256, kid: rsaKid }, claims, 'AAAA')],
      ['PBES2 JWE', `${base64url({ alg: 'PBES2-HS256+A128KW', enc: 'A128GCM', p2c: 2147483647, p2s: 'c2FsdHNhbHQ' })}.AAAA.AAAA.AAAA.AAAA`],
      ['compressed JWE', `${base64url({ alg: 'dir', enc: 'A128GCM', zip: 'DEF' })}..AAAA.AAAA.AAAA`],
    ];
  }

  // OpenID Connect Core section 3.1.2.1: Gatehouse accepts only ID tokens it signed itself as hints.
  it('rejects forged id_token_hint at authorize', async () => {
    for (const [name, hint] of await forgedHints()) {
      const codes = await countRows(gatehouse, 'authorization_codes');
      const started = Date.now();
      const request = authorizationUrl(rsaClient, { scope: 'openid', id_token_hint: hint });
      const response = await browser.get(request.url);
      assert.ok(Date.now() - started < 2000, `${name}: answered quickly`);
      const callback = new URL(locationOf(response));
      assert.equal(callback.searchParams.get('error'), 'invalid_request', `${name}: ${callback.href}`);
      assert.equal(callback.searchParams.get('code'), null, `${name}: no code`);
      assert.equal(await countRows(gatehouse, 'authorization_codes'), codes, `${name}: no code row`);
    }
    assert.equal(keyServerHits, 0, 'no key was fetched from a URL in a header');
  });

  it('rejects forged id_token_hint at logout', async () => {
    for (const [name, hint] of await forgedHints()) {
      const response = await browser.get(`/end-session?${new URLSearchParams({ id_token_hint: hint })}`);
      assert.equal(response.statusCode, 400, `${name}: ${response.statusCode}`);
      assert.equal(response.headers.location, undefined, `${name}: no redirect`);
      assert.equal(await isSignedIn(browser), true, `${name}: the session is intact`);
    }
    const huge = await browser.postForm('/end-session', { id_token_hint: `${'A'.repeat(1024 * 1024)}.e30.` });
    assert.equal(huge.statusCode, 413, 'a 1 MB hint is too large');
    assert.equal(await isSignedIn(browser), true, 'the session is intact');
    assert.equal(keyServerHits, 0, 'no key was fetched from a URL in a header');
  });

  // RFC 7523 client assertions are not supported, so they never authenticate a client.
  it('rejects client assertions', async () => {
    const assertion = compact({ alg: 'none' }, { iss: client.clientId, sub: client.clientId, aud: gatehouse.config.issuer });
    const before = await issuedRowCounts(gatehouse);
    const form = {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    assertTokenError(await postTokenForm(gatehouse, form), 401, 'invalid_client', 'assertion alone');
    assertTokenError(await postTokenForm(gatehouse, { ...form, client_id: client.clientId }), 401, 'invalid_client', 'assertion with client_id');
    const withBasic = await postTokenForm(gatehouse, form, { headers: { authorization: basicAuthorization(client.clientId, client.secret ?? '') } });
    assertTokenError(withBasic, 400, 'invalid_request', 'an assertion besides Basic is a second method');
    assert.deepEqual(await issuedRowCounts(gatehouse), before, 'nothing was issued');
  });

  // OpenID Connect Core section 6 request objects are not supported, and request_uri is never fetched.
  it('rejects request objects unfetched', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ request: compact({ alg: 'none' }, { scope: 'openid profile' }) }, 'request_not_supported'],
      [{ request_uri: `${keyServerUrl}/request.jwt` }, 'request_uri_not_supported'],
    ];
    for (const [parameters, error] of cases) {
      const request = authorizationUrl(client, { scope: 'openid', ...parameters });
      const callback = new URL(locationOf(await browser.get(request.url)));
      assert.equal(callback.searchParams.get('error'), error);
      assert.equal(callback.searchParams.get('code'), null, 'no code');
    }
    assert.equal(keyServerHits, 0, 'the request_uri was not fetched');
  });

  // RFC 9449 DPoP is not supported: a DPoP header is ignored and the token stays a bearer token.
  it('ignores a DPoP proof', async () => {
    const authorization = await authorize(browser, client, alice, { scope: 'openid' });
    const proof = compact({ alg: 'none', typ: 'dpop+jwt' }, { htm: 'POST', htu: `${gatehouse.config.issuer}/token`, jti: 'x' });
    const response = await gatehouse.app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
        dpop: proof,
      },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        code: authorization.code,
        redirect_uri: client.redirectUri,
        code_verifier: authorization.verifier,
      }).toString(),
    });
    assert.equal(tokenSetOf(response).token_type, 'Bearer');
  });

  it('still accepts a genuine hint', async () => {
    const authorization = await authorize(browser, rsaClient, alice, { scope: 'openid' });
    const idToken = tokenSetOf(await exchangeCode(gatehouse, rsaClient, authorization)).id_token ?? '';
    const request = authorizationUrl(rsaClient, { scope: 'openid', prompt: 'none', id_token_hint: idToken });
    const callback = new URL(locationOf(await browser.get(request.url)));
    assert.equal(typeof callback.searchParams.get('code'), 'string', `a code for the hinted user: ${callback.href}`);
  });
});
