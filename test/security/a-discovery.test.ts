import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { BrowserSession } from '../support/browser-session.js';
import { FIXTURE_SCOPES, startSecurityFixtures, type SecurityFixtures } from '../support/authorization-fixtures.js';
import { authorize, exchangeCode } from '../support/flows.js';

const METADATA_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];
/** Members of private or symmetric JWKs (RFC 7518 section 6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('discovery, metadata and keys', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures();
  });
  after(() => fixtures.gatehouse.stop());

  async function getJson(path: string): Promise<{ status: number; contentType: string; body: Record<string, unknown> }> {
    const response = await fixtures.gatehouse.app.inject({ method: 'GET', url: path });
    return { status: response.statusCode, contentType: String(response.headers['content-type']), body: response.json() };
  }

  // RFC 8414 section 3.3, RFC 9207: one issuer string in metadata, tokens and responses.
  it('uses one exact issuer string everywhere', async () => {
    const { gatehouse, alice } = fixtures;
    const issuer = gatehouse.config.issuer;
    for (const path of METADATA_PATHS) {
      const { body } = await getJson(path);
      assert.equal(body.issuer, issuer, `${path}: issuer`);
      assert.equal(String(body.issuer).endsWith('/'), false, `${path}: issuer has no trailing slash`);
    }

    const jwtClient = await gatehouse.createClient({
      name: 'JWT Access Token App',
      redirectUris: ['https://jwt.example.com/cb'],
      scopes: FIXTURE_SCOPES,
      accessTokenFormat: 'jwt',
    });
    const browser = new BrowserSession(gatehouse.app);
    const authorization = await authorize(browser, jwtClient, alice, { scope: 'openid api:read', nonce: 'n-1' });
    assert.equal(authorization.callback.searchParams.get('iss'), issuer, 'iss in the authorization response');

    const tokens = await exchangeCode(gatehouse, jwtClient, authorization);
    assert.equal(tokens.statusCode, 200, tokens.body);
    const body = tokens.json();
    assert.equal(decodeJwt(body.id_token).iss, issuer, 'iss in the ID token');
    assert.equal(decodeJwt(body.access_token).iss, issuer, 'iss in the JWT access token');
  });

  // RFC 9700 section 2.1.1 and 2.1.2: no implicit or password grant, PKCE S256 only.
  it('advertises only the code flow with S256', async () => {
    for (const path of METADATA_PATHS) {
      const { body } = await getJson(path);
      const responseTypes = body.response_types_supported as string[];
      assert.ok(responseTypes.includes('code'), `${path}: code is supported`);
      assert.deepEqual(responseTypes.filter((type) => type.includes('token')), [], `${path}: no response type with a token`);
      const grantTypes = body.grant_types_supported as string[];
      assert.equal(grantTypes.includes('password'), false, `${path}: no password grant`);
      assert.equal(grantTypes.includes('implicit'), false, `${path}: no implicit grant`);
      assert.deepEqual(body.code_challenge_methods_supported, ['S256'], `${path}: S256 only`);
      assert.equal(body.authorization_response_iss_parameter_supported, true, `${path}: iss in responses`);
      assert.equal(body.request_parameter_supported, false, `${path}: no request objects`);
      assert.equal(body.request_uri_parameter_supported, false, `${path}: no request_uri`);
    }
    const { body } = await getJson('/.well-known/openid-configuration');
    const algorithms = body.id_token_signing_alg_values_supported as string[];
    assert.ok(algorithms.length > 0, 'at least one ID token algorithm');
    assert.equal(algorithms.some((alg) => alg.toLowerCase() === 'none'), false, 'alg none is not offered');
  });

  // RFC 7517: a JWKS for verification carries public members only.
  it('publishes only public signing keys', async () => {
    const { body: metadata } = await getJson('/.well-known/openid-configuration');
    const jwksUri = new URL(String(metadata.jwks_uri));
    assert.equal(jwksUri.origin, new URL(fixtures.gatehouse.config.issuer).origin, 'jwks_uri is on the issuer');
    const { status, body } = await getJson(jwksUri.pathname);
    assert.equal(status, 200);
    const keys = body.keys as Array<Record<string, unknown>>;
    assert.ok(keys.length >= 1, 'at least one key');

    const kids = keys.map((key) => key.kid);
    assert.equal(new Set(kids).size, kids.length, 'every kid is unique');
    for (const key of keys) {
      assert.equal(typeof key.kid, 'string', 'each key has a kid');
      for (const member of PRIVATE_MEMBERS) assert.equal(member in key, false, `key ${String(key.kid)} has no '${member}'`);
      assert.notEqual(key.kty, 'oct', 'no symmetric key');
      if (key.kty === 'RSA') {
        const modulusBits = Buffer.from(String(key.n), 'base64url').length * 8;
        assert.ok(modulusBits >= 2048, `RSA key ${String(key.kid)} has ${modulusBits} bits`);
      }
    }
  });

  // RFC 8414 section 3.2: the documents are JSON.
  it('serves metadata and keys as JSON', async () => {
    for (const path of [...METADATA_PATHS, '/jwks']) {
      const { status, contentType } = await getJson(path);
      assert.equal(status, 200, `${path}: status`);
      assert.match(contentType, /^application\/json(;\s*charset=utf-8)?$/i, `${path}: Content-Type`);
    }
  });
});
