import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession } from '../support/browser-session.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { accessTokenWorks, assertTokenError, obtainTokens, refresh, tokenSetOf } from '../support/oauth-checks.js';

/**
 * Gatehouse implements neither DPoP (RFC 9449) nor mTLS (RFC 8705). Without sender-constrained
 * tokens, RFC 9700 section 2.2.2 requires refresh token rotation with reuse detection for every
 * public client, and the metadata must not promise binding that does not happen.
 */
describe('sender-constrained tokens', () => {
  let gatehouse: TestGatehouse;
  let user: TestUser;
  let publicClients: Array<{ name: string; client: TestClient }>;

  before(async () => {
    gatehouse = await startTestGatehouse();
    user = await gatehouse.createUser();
    const redirectUris: Record<string, string> = {
      'browser app': 'https://spa.example.com/callback',
      'loopback native app': 'http://127.0.0.1/callback',
      'private-scheme native app': 'com.example.mobile:/callback',
    };
    publicClients = [];
    for (const [name, redirectUri] of Object.entries(redirectUris)) {
      publicClients.push({ name, client: await gatehouse.createClient({ name, public: true, redirectUris: [redirectUri] }) });
    }
  });
  after(() => gatehouse.stop());

  it('advertises no token binding', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = (await gatehouse.app.inject({ method: 'GET', url: path })).json();
      assert.equal(metadata.dpop_signing_alg_values_supported, undefined, `${path}: no DPoP algorithms`);
      assert.equal(metadata.tls_client_certificate_bound_access_tokens, undefined, `${path}: no mTLS binding`);
    }
  });

  it('rotates every public client refresh token', async () => {
    for (const { name, client } of publicClients) {
      const first = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, user, { scope: 'openid profile' });
      assert.equal(first.token_type, 'Bearer', `${name}: a bearer token`);
      const second = tokenSetOf(await refresh(gatehouse, client, first.refresh_token ?? ''), `${name}: refresh`);
      assert.notEqual(second.refresh_token, first.refresh_token, `${name}: a new refresh token`);

      assertTokenError(await refresh(gatehouse, client, first.refresh_token ?? ''), 400, 'invalid_grant', `${name}: reuse`);
      assert.equal(await accessTokenWorks(gatehouse, second.access_token), false, `${name}: the family is revoked`);
      const successor = await refresh(gatehouse, client, second.refresh_token ?? '');
      assertTokenError(successor, 400, 'invalid_grant', `${name}: the successor after reuse`);
    }
  });
});
