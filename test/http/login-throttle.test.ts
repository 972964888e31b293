import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrowserSession, formValue } from '../support/browser-session.js';
import { startTestGatehouse, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

/** Posts the plain login form (no authorization request) as a browser at `address` would. */
async function attemptLogin(
  gatehouse: TestGatehouse,
  username: string,
  password: string,
  headers: Record<string, string> = {},
  remoteAddress = '127.0.0.1',
) {
  const browser = new BrowserSession(gatehouse.app);
  const page = await browser.get('/login');
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  return gatehouse.app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
    payload: new URLSearchParams({ csrf_token: formValue(page.body, 'csrf_token'), username, password }).toString(),
  });
}

function sessionCookieOf(response: Awaited<ReturnType<typeof attemptLogin>>) {
  return response.cookies.find((cookie) => cookie.name === 'gatehouse_session');
}

describe('login attempt limits', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse({
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '20' },
    });
  });
  after(() => gatehouse.stop());

  it('pauses an account after five failures', async () => {
    const user = await gatehouse.createUser();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const response = await attemptLogin(gatehouse, user.username, 'wrong password', {}, '127.0.0.11');
      assert.equal(response.statusCode, 400, `failure ${attempt} is an ordinary wrong password`);
    }
    const blocked = await attemptLogin(gatehouse, user.username, user.password, {}, '127.0.0.12');
    assert.equal(blocked.statusCode, 429, 'the right password during the pause is not accepted');
    assert.ok(Number(blocked.headers['retry-after']) > 0, 'Retry-After says when to try again');
    assert.match(blocked.body, /Too many failed sign-in attempts/);
    const minutes = Math.ceil(Number(blocked.headers['retry-after']) / 60);
    const duration = minutes === 1 ? '1 minute' : `${minutes} minutes`;
    assert.match(blocked.body, new RegExp(`Try again in ${duration}\\.`), 'the wait in words');
    assert.equal(sessionCookieOf(blocked), undefined, 'no session during the pause');

    gatehouse.clock.advance(Math.max(0, Number(blocked.headers['retry-after']) - 30));
    const nearlyOver = await attemptLogin(gatehouse, user.username, user.password, {}, '127.0.0.12');
    assert.equal(nearlyOver.statusCode, 429, 'still paused shortly before the window ends');
    assert.match(nearlyOver.body, /Try again in 1 minute\./, 'one minute in the singular');

    gatehouse.clock.advance(15 * 60);
    const later = await attemptLogin(gatehouse, user.username, user.password, {}, '127.0.0.12');
    assert.equal(later.statusCode, 303, 'the account can log in once the window has passed');
    assert.ok(sessionCookieOf(later), 'a session is created');
  });

  it('counts every parallel guess', async () => {
    const user = await gatehouse.createUser();
    const guesses = await Promise.all(
      Array.from({ length: 20 }, () => attemptLogin(gatehouse, user.username, 'parallel guess', {}, '127.0.0.21')),
    );
    const checked = guesses.filter((response) => response.statusCode === 400).length;
    assert.equal(checked, 5, 'only five of twenty parallel guesses reach the password check');
    assert.equal(guesses.filter((response) => response.statusCode === 429).length, 15, 'the rest are paused');
    const right = await attemptLogin(gatehouse, user.username, user.password, {}, '127.0.0.22');
    assert.equal(right.statusCode, 429, 'the account stays paused');
  });

  it('pauses an address spraying many accounts', async () => {
    const users: TestUser[] = [];
    for (let index = 0; index < 21; index += 1) users.push(await gatehouse.createUser());
    for (const user of users.slice(0, 20)) {
      const response = await attemptLogin(gatehouse, user.username, 'sprayed password', {}, '127.0.0.31');
      assert.equal(response.statusCode, 400, `one failure for ${user.username}`);
    }
    const last = users[20] as TestUser;
    const blocked = await attemptLogin(gatehouse, last.username, last.password, {}, '127.0.0.31');
    assert.equal(blocked.statusCode, 429, 'the address is paused after twenty failures across accounts');
    const elsewhere = await attemptLogin(gatehouse, last.username, last.password, {}, '127.0.0.32');
    assert.equal(elsewhere.statusCode, 303, 'the same account logs in from another address');
  });

  it('ignores X-Forwarded-For from clients', async () => {
    const user = await gatehouse.createUser();
    for (let attempt = 0; attempt < 25; attempt += 1) {
      await attemptLogin(gatehouse, `${user.username}-${attempt}`, 'guess', { 'x-forwarded-for': `127.1.0.${attempt}` }, '127.0.0.41');
    }
    const blocked = await attemptLogin(gatehouse, user.username, user.password, { 'x-forwarded-for': '127.1.1.1' }, '127.0.0.41');
    assert.equal(blocked.statusCode, 429, 'a spoofed X-Forwarded-For does not reset the address counter');
  });

  it('does not count successful logins', async () => {
    const user = await gatehouse.createUser();
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const response = await attemptLogin(gatehouse, user.username, user.password, {}, '127.0.0.51');
      assert.equal(response.statusCode, 303, `login ${attempt} succeeds`);
    }
  });
});

describe('login attempt limits behind a proxy', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse({
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '3', GATEHOUSE_TRUSTED_PROXIES: '1' },
    });
  });
  after(() => gatehouse.stop());

  it('counts the forwarded client address', async () => {
    for (let index = 0; index < 3; index += 1) {
      const user = await gatehouse.createUser();
      await attemptLogin(gatehouse, user.username, 'guess', { 'x-forwarded-for': '127.2.0.1' }, '127.0.0.61');
    }
    const user = await gatehouse.createUser();
    const sameClient = await attemptLogin(gatehouse, user.username, user.password, { 'x-forwarded-for': '127.2.0.1' }, '127.0.0.61');
    assert.equal(sameClient.statusCode, 429, 'the client behind the proxy is paused');
    const otherClient = await attemptLogin(gatehouse, user.username, user.password, { 'x-forwarded-for': '127.2.0.2' }, '127.0.0.61');
    assert.equal(otherClient.statusCode, 303, 'another client behind the same proxy is not');
  });
});
