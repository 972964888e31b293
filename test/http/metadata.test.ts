import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse.js';

describe('authorization server metadata', () => {
  let gatehouse: TestGatehouse;
  let metadata: Record<string, unknown>;

  before(async () => {
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_ISSUER: 'https://localhost:9443' } });
    const response = await gatehouse.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.equal(response.statusCode, 200, 'the metadata document is served');
    assert.match(String(response.headers['content-type']), /^application\/json/, 'the document is JSON');
    metadata = response.json();
  });
  after(() => gatehouse.stop());

  it('names the configured issuer', () => {
    assert.equal(metadata.issuer, 'https://localhost:9443', 'issuer equals GATEHOUSE_ISSUER');
    assert.equal(metadata.issuer, gatehouse.config.issuer, 'issuer equals the loaded configuration');
  });

  it('lists every endpoint under the issuer', () => {
    const endpoints = Object.entries(metadata).filter(([name]) => name.endsWith('_endpoint'));
    assert.ok(endpoints.length >= 3, 'at least the authorization, token and userinfo endpoints');
    for (const [name, value] of endpoints) {
      assert.equal(typeof value, 'string', `${name} is a string`);
      assert.ok(String(value).startsWith(`${gatehouse.config.issuer}/`), `${name} is under the issuer: ${String(value)}`);
    }
    assert.equal(metadata.authorization_endpoint, 'https://localhost:9443/authorize', 'the authorization endpoint');
    assert.equal(metadata.token_endpoint, 'https://localhost:9443/token', 'the token endpoint');
    assert.equal(metadata.userinfo_endpoint, 'https://localhost:9443/userinfo', 'the userinfo endpoint');
  });

  it('advertises only code with S256', () => {
    assert.deepEqual(metadata.response_types_supported, ['code'], 'response_types_supported is exactly code');
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256'], 'code_challenge_methods_supported is exactly S256');
    assert.equal(metadata.authorization_response_iss_parameter_supported, true, 'iss is sent in authorization responses');
  });

  it('lists grant types, auth methods and scopes', () => {
    const grantTypes = metadata.grant_types_supported as string[];
    for (const grantType of ['authorization_code', 'refresh_token', 'client_credentials']) {
      assert.ok(grantTypes.includes(grantType), `grant_types_supported includes ${grantType}`);
    }
    assert.equal(grantTypes.includes('implicit'), false, 'the implicit grant is not advertised');
    assert.equal(grantTypes.includes('password'), false, 'the password grant is not advertised');

    const authMethods = metadata.token_endpoint_auth_methods_supported as string[];
    for (const method of ['client_secret_basic', 'client_secret_post', 'none']) {
      assert.ok(authMethods.includes(method), `token_endpoint_auth_methods_supported includes ${method}`);
    }

    const scopes = metadata.scopes_supported as string[];
    for (const scope of ['profile', 'email', 'offline_access']) {
      assert.ok(scopes.includes(scope), `scopes_supported includes ${scope}`);
    }
  });

  it('lists the token lifecycle endpoints', () => {
    assert.equal(metadata.revocation_endpoint, 'https://localhost:9443/revoke', 'the revocation endpoint');
    assert.equal(metadata.introspection_endpoint, 'https://localhost:9443/introspect', 'the introspection endpoint');
    assert.equal(
      metadata.device_authorization_endpoint,
      'https://localhost:9443/device_authorization',
      'the device authorization endpoint',
    );
    assert.deepEqual(
      metadata.revocation_endpoint_auth_methods_supported,
      ['client_secret_basic', 'client_secret_post', 'none'],
      'revocation accepts the token endpoint methods',
    );
    assert.deepEqual(
      metadata.introspection_endpoint_auth_methods_supported,
      ['client_secret_basic', 'client_secret_post'],
      'introspection needs a secret',
    );
    const grantTypes = metadata.grant_types_supported as string[];
    assert.ok(grantTypes.includes('urn:ietf:params:oauth:grant-type:device_code'), 'the device code grant is listed');
  });
});
