import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/passwords.js';
import { disableUser, updateUserPassword } from '../../src/storage/users.js';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizationUrl, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect } from '../support/lifecycle.js';
import {
  accessTokenWorks,
  assertTokenError,
  jwtPayload,
  obtainTokens,
  refresh,
  tokenSetOf,
} from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';
import { postTokenForm } from '../support/token-requests.js';

describe('refresh tokens', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let otherClient: TestClient;
  let publicClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  before(async () => {
    gatehouse = await startTestGatehouse({
      environment: { GATEHOUSE_REFRESH_FAMILY_TTL: '300', GATEHOUSE_REFRESH_TOKEN_TTL: '200' },
    });
    client = await gatehouse.createClient({ name: 'Refresh App', scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'] });
    otherClient = await gatehouse.createClient({ name: 'Other App' });
    publicClient = await gatehouse.createClient({ name: 'Public App', public: true, scopes: ['openid', 'profile', 'email'] });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  // RFC 9700 section 4.14.2: refresh tokens of public clients are rotated, and reuse revokes the family.
  it('rotates and detects reuse for public clients', async () => {
    const first = await obtainTokens(gatehouse, browser, publicClient, user, { scope: 'openid profile' });
    const second = tokenSetOf(await refresh(gatehouse, publicClient, first.refresh_token ?? ''));
    assert.notEqual(second.refresh_token, first.refresh_token, 'a new refresh token');
    assert.equal(await accessTokenWorks(gatehouse, second.access_token), true, 'the new access token works');

    const reuse = await refresh(gatehouse, publicClient, first.refresh_token ?? '');
    assertTokenError(reuse, 400, 'invalid_grant', 'reuse of the rotated-out token');
    assert.equal(await accessTokenWorks(gatehouse, first.access_token), false, 'the first access token is revoked');
    assert.equal(await accessTokenWorks(gatehouse, second.access_token), false, 'the second access token is revoked');
    assertTokenError(await refresh(gatehouse, publicClient, second.refresh_token ?? ''), 400, 'invalid_grant', 'the successor');

    const again = await obtainTokens(gatehouse, browser, publicClient, user, { scope: 'openid profile' });
    assert.equal(await accessTokenWorks(gatehouse, again.access_token), true, 'a new authorization works after the revocation');
  });

  it('binds refresh tokens to their client', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user, { scope: 'profile' });
    const refreshToken = tokens.refresh_token ?? '';
    const before = await countRows(gatehouse, 'access_tokens');
    assertTokenError(await refresh(gatehouse, otherClient, refreshToken), 400, 'invalid_grant', "another client's credentials");
    assertTokenError(await refresh(gatehouse, publicClient, refreshToken), 400, 'invalid_grant', 'a public client id');
    assert.equal(await countRows(gatehouse, 'access_tokens'), before, 'no access token');
    assert.equal(tokenSetOf(await refresh(gatehouse, client, refreshToken)).token_type, 'Bearer', 'the owner can still refresh');
  });

  it('requires confidential clients to authenticate', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user, { scope: 'profile' });
    const bare = await postTokenForm(gatehouse, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    assertTokenError(bare, 401, 'invalid_client', 'no credentials');
    const withId = await postTokenForm(gatehouse, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
      client_id: client.clientId,
    });
    assertTokenError(withId, 401, 'invalid_client', 'client_id without secret');
    assert.equal((await refresh(gatehouse, client, tokens.refresh_token ?? '')).statusCode, 200, 'the token is still usable');
  });

  // RFC 6749 section 6: a refresh may narrow the scope but never widen it.
  it('never widens the scope', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user, { scope: 'openid profile api:read' });
    const wider = await refresh(gatehouse, client, tokens.refresh_token ?? '', { scope: 'openid profile api:read email' });
    assertTokenError(wider, 400, 'invalid_scope', 'a wider scope');

    const narrowed = tokenSetOf(await refresh(gatehouse, client, tokens.refresh_token ?? '', { scope: 'api:read' }));
    assert.equal(narrowed.scope, 'api:read', 'the new access token has the narrower scope');
    const accessDetails = await introspect(gatehouse, clientCredentials(client), narrowed.access_token);
    assert.equal(accessDetails.scope, 'api:read');
    const refreshDetails = await introspect(gatehouse, clientCredentials(client), narrowed.refresh_token ?? '');
    assert.equal(refreshDetails.scope, 'openid profile api:read', 'the new refresh token keeps the whole scope');

    const unrelated = tokenSetOf(
      await refresh(gatehouse, client, narrowed.refresh_token ?? '', { code: 'made-up', redirect_uri: 'https://evil.example/cb' }),
    );
    assert.equal(unrelated.scope, 'openid profile api:read', 'omitting scope gives the original scope');

    const withResource = await refresh(gatehouse, client, unrelated.refresh_token ?? '', { resource: 'https://api.evil.example' });
    assertTokenError(withResource, 400, 'invalid_target', 'an unregistered resource');
    assert.equal((await refresh(gatehouse, client, unrelated.refresh_token ?? '')).statusCode, 200, 'the token survived');
  });

  it('ends the family at its absolute lifetime', async () => {
    let tokens = await obtainTokens(gatehouse, browser, client, user, { scope: 'profile' });
    for (let step = 0; step < 2; step += 1) {
      gatehouse.clock.advance(120);
      tokens = tokenSetOf(await refresh(gatehouse, client, tokens.refresh_token ?? ''), `refresh ${step}`);
    }
    gatehouse.clock.advance(61);
    const before = await countRows(gatehouse, 'access_tokens');
    assertTokenError(await refresh(gatehouse, client, tokens.refresh_token ?? ''), 400, 'invalid_grant', 'past the family lifetime');
    assert.equal(await countRows(gatehouse, 'access_tokens'), before, 'no access token');
  });

  it('dies when the user removes the app', async () => {
    const session = new BrowserSession(gatehouse.app);
    const tokens = await obtainTokens(gatehouse, session, client, user, { scope: 'profile' });
    const page = await session.get('/connected-apps');
    const removed = await session.postForm('/connected-apps/revoke', {
      csrf_token: formValue(page.body, 'csrf_token'),
      client_id: client.clientId,
    });
    assert.equal(removed.statusCode, 200, removed.body);
    assertTokenError(await refresh(gatehouse, client, tokens.refresh_token ?? ''), 400, 'invalid_grant', 'refresh after removal');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), false, 'the access token is revoked');
  });

  // RFC 9700 section 4.14.2: security events end refresh tokens. The functions below are the
  // ones `gatehouse user set-password` and `gatehouse user disable` run.
  it('dies when the password changes', async () => {
    const victim = await gatehouse.createUser();
    const tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, victim, { scope: 'profile' });
    await updateUserPassword(gatehouse.database.db, {
      userId: victim.id,
      passwordHash: await hashPassword('a changed passphrase'),
      keepAppTokens: false,
      now: gatehouse.clock.now(),
    });
    assertTokenError(await refresh(gatehouse, client, tokens.refresh_token ?? ''), 400, 'invalid_grant', 'refresh after the change');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), false, 'the access token is revoked');
  });

  it('dies when the account is disabled', async () => {
    const victim = await gatehouse.createUser();
    const tokens = await obtainTokens(gatehouse, new BrowserSession(gatehouse.app), client, victim, { scope: 'profile' });
    const issuedBefore = await countRows(gatehouse, 'refresh_tokens');
    await disableUser(gatehouse.database.db, victim.id, gatehouse.clock.now());
    assertTokenError(await refresh(gatehouse, client, tokens.refresh_token ?? ''), 400, 'invalid_grant', 'refresh after the disable');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), false, 'the access token is revoked');
    assert.equal(await countRows(gatehouse, 'refresh_tokens'), issuedBefore, 'no refresh token was issued');
  });

  it('uses long random refresh tokens', async () => {
    const seen = new Set<string>();
    for (let index = 0; index < 3; index += 1) {
      const tokens = await obtainTokens(gatehouse, browser, client, user, { scope: 'profile' });
      const value = tokens.refresh_token ?? '';
      assert.match(value, /^[A-Za-z0-9_-]{43,}$/, 'at least 256 bits of base64url');
      seen.add(value);

      const last = value.at(-2) === 'A' ? 'B' : 'A';
      const tampered = `${value.slice(0, -2)}${last}${value.slice(-1)}`;
      assertTokenError(await refresh(gatehouse, client, tampered), 400, 'invalid_grant', 'a tampered token');
      assert.equal((await refresh(gatehouse, client, value)).statusCode, 200, 'the real token still works');
    }
    assert.equal(seen.size, 3, 'no two refresh tokens are equal');
  });

  // OpenID Connect Core section 11: offline access needs the user's consent.
  it('asks again for offline_access', async () => {
    const fresh = await gatehouse.createUser();
    const session = new BrowserSession(gatehouse.app);
    await obtainTokens(gatehouse, session, client, fresh, { scope: 'openid profile' });

    const request = authorizationUrl(client, { scope: 'openid profile offline_access' });
    const location = locationOf(await session.get(request.url));
    assert.match(location, /^\/consent\?/, 'the consent page is shown for offline_access');
    const consent = await session.get(location);
    assert.match(consent.body, /Keep access while you are not using the app/, 'the page names offline access');
  });

  // OpenID Connect Core section 12.2: a refreshed ID token keeps iss, sub and aud.
  it('keeps ID token identity on refresh', async () => {
    const tokens = await obtainTokens(gatehouse, browser, client, user, { scope: 'openid profile', nonce: 'n-0S6_WzA2Mj' });
    gatehouse.clock.advance(5);
    const refreshed = tokenSetOf(await refresh(gatehouse, client, tokens.refresh_token ?? ''));
    const original = jwtPayload(tokens.id_token ?? '');
    const renewed = jwtPayload(refreshed.id_token ?? '');
    assert.equal(renewed.iss, original.iss);
    assert.equal(renewed.sub, original.sub);
    assert.deepEqual([renewed.aud].flat(), [client.clientId]);
    assert.ok(Number(renewed.iat) > Number(original.iat), 'a new iat');
    assert.equal(original.nonce, 'n-0S6_WzA2Mj', 'the first ID token carries the nonce');
    assert.equal(renewed.nonce, undefined, 'the refreshed ID token carries no nonce');
  });
});
