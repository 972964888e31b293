import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, locationOf } from '../support/browser-session.js';
import { authorizationUrl, authorize } from '../support/flows.js';
import { startTestGatehouse, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

describe('remembered consent for public clients', () => {
  let gatehouse: TestGatehouse;
  let user: TestUser;

  before(async () => {
    gatehouse = await startTestGatehouse();
    user = await gatehouse.createUser();
  });
  after(() => gatehouse.stop());

  it('asks again for a loopback native client', async () => {
    const native = await gatehouse.createClient({ public: true, redirectUris: ['http://127.0.0.1/callback'] });
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, native, user, { redirect_uri: 'http://127.0.0.1:53111/callback' });

    const again = await browser.get(authorizationUrl(native, { redirect_uri: 'http://127.0.0.1:53112/callback' }).url);
    assert.match(locationOf(again), /^\/consent\?request=/, 'any app on the device could listen on a loopback port');

    const silent = await browser.get(
      authorizationUrl(native, { redirect_uri: 'http://127.0.0.1:53113/callback', prompt: 'none' }).url,
    );
    const callback = new URL(locationOf(silent));
    assert.equal(callback.searchParams.get('error'), 'consent_required', 'prompt=none cannot skip the question');
    assert.equal(callback.searchParams.get('code'), null, 'no code is issued');
  });

  it('asks again for a private-use scheme', async () => {
    const native = await gatehouse.createClient({ public: true, redirectUris: ['com.example.app:/callback'] });
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, native, user);
    const again = await browser.get(authorizationUrl(native).url);
    assert.match(locationOf(again), /^\/consent\?request=/, 'another app may claim the same scheme');
  });

  it('remembers consent for an https client', async () => {
    const spa = await gatehouse.createClient({ public: true, redirectUris: ['https://spa.example.com/callback'] });
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, spa, user);
    const again = await browser.get(authorizationUrl(spa).url);
    assert.ok(new URL(locationOf(again)).searchParams.has('code'), 'the https host proves the client, so consent is remembered');
  });
});
