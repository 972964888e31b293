import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/client.js';
import { USER_CODE_ALPHABET } from '../../src/core/device-authorization.js';
import { hashSecret } from '../../src/core/secrets.js';
import { USER_CODE_WINDOW_SECONDS } from '../../src/http/routes/device.js';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { decideOnDevicePage, logInFromRedirect, pollToken, startDeviceAuthorization } from '../support/device-flow.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';
import { clientCredentials, introspect, postAuthenticatedForm } from '../support/lifecycle.js';
import { countRows, dumpTable } from '../support/rows.js';

const INTERVAL_MS = 5000;

describe('device authorization grant', () => {
  let gatehouse: TestGatehouse;
  let tvClient: TestClient;
  let confidentialClient: TestClient;
  let plainClient: TestClient;
  let user: TestUser;
  let browser: BrowserSession;

  before(async () => {
    // A limit other than the default shows that the setting is read.
    gatehouse = await startTestGatehouse({ environment: { GATEHOUSE_DEVICE_CODE_MAX_FAILURES: '4' } });
    tvClient = await gatehouse.createClient({
      name: 'Living Room TV',
      public: true,
      redirectUris: ['http://127.0.0.1/callback'],
      grantTypes: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
    });
    confidentialClient = await gatehouse.createClient({ name: 'Printer', grantTypes: [DEVICE_CODE_GRANT_TYPE] });
    plainClient = await gatehouse.createClient({ name: 'Web App' });
    user = await gatehouse.createUser();
    browser = new BrowserSession(gatehouse.app);
  });
  after(() => gatehouse.stop());

  it('returns codes and verification URIs', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient);
    assert.match(started.user_code, new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`), 'XXXX-XXXX');
    assert.ok(started.device_code.length >= 43, 'the device code carries at least 256 bits');
    assert.equal(started.verification_uri, `${gatehouse.config.issuer}/device`, 'the verification URI');
    assert.equal(
      started.verification_uri_complete,
      `${gatehouse.config.issuer}/device?user_code=${started.user_code}`,
      'the complete verification URI carries the user code',
    );
    assert.equal(started.expires_in, 600, 'expires_in');
    assert.equal(started.interval, 5, 'interval');
    const stored = await dumpTable(gatehouse, 'device_authorizations');
    assert.ok(!stored.includes(started.device_code), 'the device code is stored only as a hash');
    assert.ok(!stored.includes(started.user_code.replace('-', '')), 'the user code is stored only as a hash');
  });

  it('issues tokens after approval', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient, { scope: 'profile offline_access' });
    const pending = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(pending.statusCode, 400, 'status 400 while pending');
    assert.equal(pending.json().error, 'authorization_pending', 'authorization_pending');

    const done = await decideOnDevicePage(browser, user, started.user_code.toLowerCase().replace('-', ' '), 'allow');
    assert.equal(done.statusCode, 200, done.body);
    assert.match(done.body, /Device connected/, 'the page confirms the approval');

    gatehouse.clock.advance(INTERVAL_MS / 1000);
    const issued = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(issued.statusCode, 200, issued.body);
    assert.equal(issued.json().scope, 'profile offline_access', 'the approved scope');
    assert.equal(typeof issued.json().refresh_token, 'string', 'a refresh token for a client with the refresh_token grant');
    const stored = await gatehouse.database.db
      .selectFrom('access_tokens')
      .select('user_id')
      .where('token_hash', '=', hashSecret(issued.json().access_token))
      .executeTakeFirstOrThrow();
    assert.equal(stored.user_id, user.id, 'the token is for the approving user');

    gatehouse.clock.advance(INTERVAL_MS / 1000);
    const again = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(again.statusCode, 400, 'a second collection fails');
    assert.equal(again.json().error, 'invalid_grant', 'the device code is spent');
  });

  it('tells the user about kept access', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient, { scope: 'profile' });
    const page = await browser.get('/device');
    const consent = await browser.postForm('/device', { csrf_token: formValue(page.body, 'csrf_token'), user_code: started.user_code });
    assert.equal(consent.statusCode, 200, consent.body.slice(0, 200));
    assert.match(consent.body, /See your name and username/, 'the requested scope');
    assert.match(consent.body, /Keep access while you are not using the app/, 'a client with refresh tokens keeps access');
    assert.match(consent.body, new RegExp(started.user_code), 'the code to compare with the device');
  });

  it('answers access_denied after Deny', async () => {
    const started = await startDeviceAuthorization(gatehouse, confidentialClient);
    const done = await decideOnDevicePage(browser, user, started.user_code, 'deny');
    assert.match(done.body, /Access denied/, 'the page confirms the denial');
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const denied = await pollToken(gatehouse, confidentialClient, started.device_code);
    assert.equal(denied.statusCode, 400, 'status 400');
    assert.equal(denied.json().error, 'access_denied', 'access_denied');
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore, 'no token stored');
  });

  it('answers slow_down to fast polling', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient);
    assert.equal((await pollToken(gatehouse, tvClient, started.device_code)).json().error, 'authorization_pending', 'first poll');
    const fast = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(fast.json().error, 'slow_down', 'a poll within the interval');
    gatehouse.clock.advance(INTERVAL_MS / 1000);
    const stillFast = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(stillFast.json().error, 'slow_down', 'the interval grew to 10 seconds, so 5 are too few');
    gatehouse.clock.advance(15);
    const patient = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(patient.json().error, 'authorization_pending', 'a poll after the grown interval of 15 seconds');
  });

  it('answers expired_token after expiry', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient);
    gatehouse.clock.advance(started.expires_in);
    const expired = await pollToken(gatehouse, tvClient, started.device_code);
    assert.equal(expired.statusCode, 400, 'status 400');
    assert.equal(expired.json().error, 'expired_token', 'expired_token');
    const page = await browser.get('/device');
    const entry = await browser.postForm('/device', { csrf_token: formValue(page.body, 'csrf_token'), user_code: started.user_code });
    assert.equal(entry.statusCode, 400, 'the expired user code is not accepted');
  });

  it("rejects another client's device code", async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient);
    const response = await pollToken(gatehouse, confidentialClient, started.device_code);
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_grant', 'invalid_grant');
  });

  it('rejects a client without the grant', async () => {
    const before = await countRows(gatehouse, 'device_authorizations');
    const response = await postAuthenticatedForm(gatehouse, '/device_authorization', clientCredentials(plainClient), { scope: 'profile' });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'unauthorized_client', 'unauthorized_client');
    assert.equal(await countRows(gatehouse, 'device_authorizations'), before, 'nothing stored');
  });

  it('rejects a scope the client lacks', async () => {
    const response = await postAuthenticatedForm(gatehouse, '/device_authorization', clientCredentials(tvClient), { scope: 'admin' });
    assert.equal(response.statusCode, 400, 'status 400');
    assert.equal(response.json().error, 'invalid_scope', 'invalid_scope');
  });

  it('rejects a wrong client secret', async () => {
    const response = await postAuthenticatedForm(gatehouse, '/device_authorization', { id: confidentialClient.clientId, secret: 'wrong' }, {
      scope: 'profile',
    });
    assert.equal(response.statusCode, 401, 'status 401');
    assert.equal(response.json().error, 'invalid_client', 'invalid_client');
  });

  it('gives one token to 20 concurrent polls', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient);
    await decideOnDevicePage(browser, user, started.user_code, 'allow');
    const tokensBefore = await countRows(gatehouse, 'access_tokens');
    const responses = await Promise.all(Array.from({ length: 20 }, () => pollToken(gatehouse, tvClient, started.device_code)));
    const successes = responses.filter((response) => response.statusCode === 200);
    assert.equal(successes.length, 1, `exactly one poll gets tokens: ${responses.map((response) => response.statusCode).join(',')}`);
    for (const response of responses.filter((candidate) => candidate.statusCode !== 200)) {
      const error = response.json().error as string;
      // A poll that reads the row after the winner spent the code gets invalid_grant, the others slow_down.
      assert.ok(['slow_down', 'invalid_grant'].includes(error), `a losing poll gets slow_down or invalid_grant, not ${error}`);
    }
    assert.equal(await countRows(gatehouse, 'access_tokens'), tokensBefore + 1, 'one access token stored');
  });

  it('approves once under concurrent decisions', async () => {
    const started = await startDeviceAuthorization(gatehouse, tvClient);
    const page = await browser.get('/device');
    const consent = await browser.postForm('/device', { csrf_token: formValue(page.body, 'csrf_token'), user_code: started.user_code });
    const form = { csrf_token: formValue(consent.body, 'csrf_token'), user_code: formValue(consent.body, 'user_code') };
    const familiesBefore = await countRows(gatehouse, 'token_families');
    const decisions = await Promise.all(
      Array.from({ length: 10 }, (_, index) => browser.postForm('/device/decision', { ...form, decision: index % 2 === 0 ? 'allow' : 'deny' })),
    );
    const confirmed = decisions.filter((response) => response.statusCode === 200);
    assert.equal(confirmed.length, 1, `exactly one decision is taken: ${decisions.map((response) => response.statusCode).join(',')}`);
    const familiesAfter = await countRows(gatehouse, 'token_families');
    const approved = confirmed[0]?.body.includes('Device connected') === true;
    assert.equal(familiesAfter - familiesBefore, approved ? 1 : 0, 'a family exists only for an approval');
  });

  it('rate-limits wrong user codes', async () => {
    // Every inject request comes from 127.0.0.1, so the test starts in a fresh window.
    gatehouse.clock.advance(USER_CODE_WINDOW_SECONDS);
    const other = new BrowserSession(gatehouse.app);
    await logInFromRedirect(other, locationOf(await other.get('/device')), await gatehouse.createUser());
    const page = await other.get('/device');
    const csrfToken = formValue(page.body, 'csrf_token');
    const started = await startDeviceAuthorization(gatehouse, tvClient);

    const statuses: number[] = [];
    for (let attempt = 0; attempt < gatehouse.config.deviceCodeMaxFailures; attempt += 1) {
      statuses.push((await other.postForm('/device', { csrf_token: csrfToken, user_code: 'BBBB-BBBB' })).statusCode);
    }
    assert.equal(statuses.length, 4, 'the configured limit applies');
    assert.deepEqual(statuses, Array(gatehouse.config.deviceCodeMaxFailures).fill(400), 'wrong codes within the limit are 400');
    const limited = await other.postForm('/device', { csrf_token: csrfToken, user_code: started.user_code });
    assert.equal(limited.statusCode, 429, 'even a right code is refused once the limit is reached');
    assert.match(limited.body, /Too many wrong codes/, 'the page says why');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1, `Retry-After is at least one second: ${retryAfter}`);
    assert.ok(retryAfter <= USER_CODE_WINDOW_SECONDS, `Retry-After is within the window: ${retryAfter}`);
    const minutes = Math.ceil(retryAfter / 60);
    const duration = minutes === 1 ? '1 minute' : `${minutes} minutes`;
    assert.match(limited.body, new RegExp(`Try again in ${duration}\\.`), 'the page says how long to wait');

    gatehouse.clock.advance(USER_CODE_WINDOW_SECONDS);
    const fresh = await startDeviceAuthorization(gatehouse, tvClient);
    const accepted = await other.postForm('/device', { csrf_token: csrfToken, user_code: fresh.user_code });
    assert.equal(accepted.statusCode, 200, 'the next window accepts a right code');
  });

  it('sends a logged-out user to log in and back', async () => {
    const stranger = new BrowserSession(gatehouse.app);
    const response = await stranger.get('/device?user_code=BCDF-GHJK');
    assert.equal(response.statusCode, 303, 'a redirect');
    assert.equal(locationOf(response), '/login?return_to=%2Fdevice%3Fuser_code%3DBCDF-GHJK', 'to the login page and back');
    const login = await stranger.get(locationOf(response));
    assert.equal(formValue(login.body, 'return_to'), '/device?user_code=BCDF-GHJK', 'the login form carries the way back');
  });

  it('keeps the device token introspectable', async () => {
    const started = await startDeviceAuthorization(gatehouse, confidentialClient);
    await decideOnDevicePage(browser, user, started.user_code, 'allow');
    const issued = await pollToken(gatehouse, confidentialClient, started.device_code);
    assert.equal(issued.statusCode, 200, issued.body);
    const body = await introspect(gatehouse, clientCredentials(confidentialClient), issued.json().access_token);
    assert.equal(body.active, true, 'active');
    assert.equal(body.sub, user.id, 'the subject is the user');
  });
});
