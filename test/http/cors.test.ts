import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse.js';

const SPA_ORIGIN = 'https://spa.example.com';

function preflight(gatehouse: TestGatehouse, url: string, origin: string) {
  return gatehouse.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
}

describe('CORS without configured origins', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse();
  });
  after(() => gatehouse.stop());

  it('sends no CORS headers anywhere', async () => {
    for (const url of ['/token', '/jwks', '/.well-known/openid-configuration', '/authorize']) {
      const response = await gatehouse.app.inject({ method: 'GET', url, headers: { origin: SPA_ORIGIN } });
      assert.equal(response.headers['access-control-allow-origin'], undefined, `no CORS on ${url}`);
    }
  });
});

describe('CORS with configured origins', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_CORS_ORIGINS: SPA_ORIGIN } });
  });
  after(() => gatehouse.stop());

  it('allows the configured origin at the token endpoint', async () => {
    const response = await preflight(gatehouse, '/token', SPA_ORIGIN);
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], SPA_ORIGIN);
    assert.equal(response.headers['access-control-allow-credentials'], undefined, 'credentials are never allowed');
  });

  it('exposes the challenge headers to the configured origin', async () => {
    const response = await gatehouse.app.inject({ method: 'GET', url: '/userinfo', headers: { origin: SPA_ORIGIN } });
    assert.equal(response.statusCode, 401, 'no token');
    assert.equal(response.headers['access-control-allow-origin'], SPA_ORIGIN);
    const exposed = String(response.headers['access-control-expose-headers']).toLowerCase();
    assert.match(exposed, /www-authenticate/, 'a browser app can read the Bearer challenge');
    assert.match(exposed, /retry-after/, 'and the wait of a 429');
  });

  it('serves discovery and JWKS to the configured origin', async () => {
    for (const url of ['/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await gatehouse.app.inject({ method: 'GET', url, headers: { origin: SPA_ORIGIN } });
      assert.equal(response.headers['access-control-allow-origin'], SPA_ORIGIN, `CORS on ${url}`);
    }
  });

  it('ignores origins that are not configured', async () => {
    const response = await preflight(gatehouse, '/token', 'https://other.example.com');
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  it('never adds CORS to the authorization endpoint or pages', async () => {
    for (const url of ['/authorize', '/login', '/consent']) {
      const response = await gatehouse.app.inject({ method: 'GET', url, headers: { origin: SPA_ORIGIN } });
      assert.equal(response.headers['access-control-allow-origin'], undefined, `no CORS on ${url}`);
    }
  });

  it('rejects an invalid origin list at start', async () => {
    await assert.rejects(
      startTestGatehouse({ environment: { GATEHOUSE_CORS_ORIGINS: 'https://spa.example.com/path' } }),
      /GATEHOUSE_CORS_ORIGINS/,
    );
  });
});
