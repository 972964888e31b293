import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/client.js';
import { hashPassword } from '../../src/passwords.js';
import { disableUser, enableUser, updateUserPassword } from '../../src/storage/users.js';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { decideOnDevicePage, pollToken, startDeviceAuthorization } from '../support/device-flow.js';
import { authorizationUrl, authorize, exchangeCode, submitLogin } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect } from '../support/lifecycle.js';
import { accessTokenWorks, assertTokenError, refresh, tokenSetOf, type TokenSet } from '../support/oauth-checks.js';
import { countRows } from '../support/rows.js';

describe('account lifecycle', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let tvClient: TestClient;

  before(async () => {
    gatehouse = await startTestGatehouse();
    client = await gatehouse.createClient({ name: 'Photo Printer' });
    tvClient = await gatehouse.createClient({ name: 'Living Room TV', grantTypes: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'] });
  });
  after(() => gatehouse.stop());

  /** Logs the user in through an authorization request and returns the browser, the tokens and an unredeemed code. */
  async function connect(user: TestUser) {
    const browser = new BrowserSession(gatehouse.app);
    const tokens = tokenSetOf(await exchangeCode(gatehouse, client, await authorize(browser, client, user, { scope: 'openid profile' })));
    const unredeemed = await authorize(browser, client, user, { scope: 'openid profile' });
    return { browser, tokens, unredeemed };
  }

  async function assertTokensDead(tokens: TokenSet, message: string): Promise<void> {
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), false, `${message}: the access token is rejected`);
    const facts = await introspect(gatehouse, clientCredentials(client), tokens.access_token);
    assert.equal(facts.active, false, `${message}: introspection reports the access token inactive`);
    assertTokenError(await refresh(gatehouse, client, tokens.refresh_token ?? ''), 400, 'invalid_grant', `${message}: refresh`);
  }

  /** True when the browser's Gatehouse session still signs it in: the authorization request skips the login page. */
  async function sessionLives(browser: BrowserSession): Promise<boolean> {
    const response = await browser.get(authorizationUrl(client, { scope: 'openid profile' }).url);
    return !locationOf(response).startsWith('/login');
  }

  it('disables an account completely', async () => {
    const user = await gatehouse.createUser();
    const { browser, tokens, unredeemed } = await connect(user);
    const device = await startDeviceAuthorization(gatehouse, tvClient, { scope: 'profile' });
    const approved = await decideOnDevicePage(browser, user, device.user_code, 'allow');
    assert.equal(approved.statusCode, 200, approved.body);

    const ended = await disableUser(gatehouse.database.db, user.id, gatehouse.clock.now());
    assert.ok(ended !== undefined, 'the account was enabled before');
    assert.ok(ended.sessionsEnded >= 1, 'the login session ended');
    assert.ok(ended.familiesRevoked >= 3, 'the token families of both codes and the device were revoked');

    await assertTokensDead(tokens, 'after disable');
    assertTokenError(await exchangeCode(gatehouse, client, unredeemed), 400, 'invalid_grant', 'a code issued before the disable');
    const accessTokensAfterCode = await countRows(gatehouse, 'access_tokens');
    gatehouse.clock.advance(10);
    const polled = await pollToken(gatehouse, tvClient, device.device_code);
    assert.equal(polled.statusCode, 400, `the device gets no token: ${polled.body}`);
    assert.equal(polled.json().access_token, undefined, 'no access token for the device');
    assert.equal(await countRows(gatehouse, 'access_tokens'), accessTokensAfterCode, 'no access token was stored');
    assert.equal(await sessionLives(browser), false, 'the old session cookie no longer signs the browser in');
  });

  // A session row can outlive the disable by a moment when a login finishes during it.
  it('ignores a session of a disabled account', async () => {
    const user = await gatehouse.createUser();
    const { browser } = await connect(user);
    await gatehouse.database.db.updateTable('users').set({ disabled_at: gatehouse.clock.now() }).where('id', '=', user.id).execute();
    assert.ok((await countRows(gatehouse, 'sessions')) > 0, 'the session row is still stored');
    assert.equal(await sessionLives(browser), false, 'the session no longer signs the browser in');
  });

  // A consent submitted while the account is being disabled can create a family after the revocation.
  it('ignores tokens of a disabled account', async () => {
    const user = await gatehouse.createUser();
    const { tokens, unredeemed } = await connect(user);
    await gatehouse.database.db.updateTable('users').set({ disabled_at: gatehouse.clock.now() }).where('id', '=', user.id).execute();

    // Introspected before the refresh attempt below, which would use the token up.
    const refreshFacts = await introspect(gatehouse, clientCredentials(client), tokens.refresh_token ?? '');
    assert.equal(refreshFacts.active, false, 'introspection reports the refresh token inactive');
    await assertTokensDead(tokens, 'with live families');
    const accessTokensBefore = await countRows(gatehouse, 'access_tokens');
    assertTokenError(await exchangeCode(gatehouse, client, unredeemed), 400, 'invalid_grant', 'a code of a disabled user');
    assert.equal(await countRows(gatehouse, 'access_tokens'), accessTokensBefore, 'no access token was stored');
  });

  it('tells a disabled user with the right password', async () => {
    const user = await gatehouse.createUser();
    await disableUser(gatehouse.database.db, user.id, gatehouse.clock.now());
    const sessionsBefore = await countRows(gatehouse, 'sessions');

    const browser = new BrowserSession(gatehouse.app);
    const loginLocation = locationOf(await browser.get(authorizationUrl(client).url));
    const rightPassword = await submitLogin(browser, loginLocation, user);
    assert.equal(rightPassword.statusCode, 403, 'status 403 for a disabled account');
    assert.match(rightPassword.body, /This account is disabled/, 'the page says the account is disabled');

    const wrongPassword = await submitLogin(browser, loginLocation, { username: user.username, password: 'not the password' });
    assert.equal(wrongPassword.statusCode, 400, 'a wrong password gets the usual answer');
    assert.doesNotMatch(wrongPassword.body, /disabled/, 'a wrong password does not learn that the account is disabled');
    assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, 'no session was created');
  });

  it('enables an account again', async () => {
    const user = await gatehouse.createUser();
    await disableUser(gatehouse.database.db, user.id, gatehouse.clock.now());
    assert.equal(await disableUser(gatehouse.database.db, user.id, gatehouse.clock.now()), undefined, 'disabling twice changes nothing');
    assert.equal(await enableUser(gatehouse.database.db, user.id, gatehouse.clock.now()), true, 'the account is enabled');
    assert.equal(await enableUser(gatehouse.database.db, user.id, gatehouse.clock.now()), false, 'enabling twice changes nothing');

    const { tokens } = await connect(user);
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), true, 'the user can connect apps again');
  });

  it('revokes app tokens on password change', async () => {
    const user = await gatehouse.createUser();
    const { browser, tokens, unredeemed } = await connect(user);
    const ended = await updateUserPassword(gatehouse.database.db, {
      userId: user.id,
      passwordHash: await hashPassword('a brand new passphrase'),
      keepAppTokens: false,
      now: gatehouse.clock.now(),
    });
    assert.ok(ended.familiesRevoked >= 2, 'the token families were revoked');

    await assertTokensDead(tokens, 'after the password change');
    assertTokenError(await exchangeCode(gatehouse, client, unredeemed), 400, 'invalid_grant', 'a code issued before the change');
    assert.equal(await sessionLives(browser), false, 'the login session ended');

    const renewed = await connect({ ...user, password: 'a brand new passphrase' });
    assert.equal(await accessTokenWorks(gatehouse, renewed.tokens.access_token), true, 'the new password connects the app again');
  });

  it('keeps app tokens when asked', async () => {
    const user = await gatehouse.createUser();
    const { browser, tokens } = await connect(user);
    const ended = await updateUserPassword(gatehouse.database.db, {
      userId: user.id,
      passwordHash: await hashPassword('another new passphrase'),
      keepAppTokens: true,
      now: gatehouse.clock.now(),
    });
    assert.equal(ended.familiesRevoked, 0, 'no token family was revoked');
    assert.equal(await sessionLives(browser), false, 'the login session ended anyway');
    assert.equal(await accessTokenWorks(gatehouse, tokens.access_token), true, 'the access token still works');
    tokenSetOf(await refresh(gatehouse, client, tokens.refresh_token ?? ''), 'the refresh token still works');
  });
});
