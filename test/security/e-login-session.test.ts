import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import {
  assertErrorRedirect,
  authorizeUrlFor,
  callbackOf,
  countIssued,
  sendWithCookies,
  startSecurityFixtures,
  type SecurityFixtures,
} from '../support/authorization-fixtures.js';
import { authorize, submitLogin } from '../support/flows.js';
import type { TestGatehouse, TestUser } from '../support/gatehouse.js';
import { countRows, dumpTable } from '../support/rows.js';

const SESSION_COOKIE = 'gatehouse_session';

/** Loads the standalone login page in the browser and returns its CSRF token. */
async function loginToken(browser: BrowserSession): Promise<string> {
  const page = await browser.get('/login');
  assert.equal(page.statusCode, 200);
  return formValue(page.body, 'csrf_token');
}

/** Posts the standalone login form with extra headers, keeping the browser's cookies. */
function postLogin(
  gatehouse: TestGatehouse,
  browser: BrowserSession,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return sendWithCookies(gatehouse, browser, { method: 'POST', url: '/login', form, headers });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('login page and session', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures();
  });
  after(() => fixtures.gatehouse.stop());

  /** Sends prompt=none for conf1 with only the given session cookie and expects login_required. */
  async function assertSessionRejected(sessionValue: string, label: string): Promise<void> {
    const { gatehouse, conf1 } = fixtures;
    const issuedBefore = await countIssued(gatehouse);
    const response = await gatehouse.app.inject({
      method: 'GET',
      url: authorizeUrlFor(conf1, { prompt: 'none' }),
      headers: { cookie: `${SESSION_COOKIE}=${sessionValue}` },
    });
    assertErrorRedirect(gatehouse, response, { redirectUri: conf1.redirectUri, error: 'login_required', state: 'state-1234' });
    assert.equal(await countIssued(gatehouse), issuedBefore, `${label}: no code`);
  }

  // RFC 6749 section 10.12: login CSRF.
  it('rejects login posts without a valid CSRF token', async () => {
    const { gatehouse, alice } = fixtures;
    const credentials = { username: alice.username, password: alice.password };

    const browser = new BrowserSession(gatehouse.app);
    const token = await loginToken(browser);
    const sessionsBefore = await countRows(gatehouse, 'sessions');

    const missing = await postLogin(gatehouse, browser, credentials);
    assert.equal(missing.statusCode, 403, 'no token');

    const other = new BrowserSession(gatehouse.app);
    const otherToken = await loginToken(other);
    const foreign = await postLogin(gatehouse, browser, { ...credentials, csrf_token: otherToken });
    assert.equal(foreign.statusCode, 403, "another browser's token");

    const crossSite = await postLogin(gatehouse, browser, { ...credentials, csrf_token: token }, { origin: 'https://evil.example' });
    assert.equal(crossSite.statusCode, 403, 'a post from another origin');
    const fetchSite = await postLogin(gatehouse, browser, { ...credentials, csrf_token: token }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(fetchSite.statusCode, 403, 'a post marked cross-site');

    for (const response of [missing, foreign, crossSite, fetchSite]) {
      assert.equal(response.headers.location, undefined, 'no redirect');
      assert.equal(response.cookies.some((cookie) => cookie.name === SESSION_COOKIE), false, 'no session cookie');
    }
    assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, 'no session row');

    const valid = await postLogin(gatehouse, browser, { ...credentials, csrf_token: token });
    assert.equal(valid.statusCode, 303, 'the same form with its token logs in');
  });

  // A session id from before the login never becomes an authenticated one.
  it('rotates the session id on every login', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const planted = 'planted-session-value-chosen-by-the-tester-000';
    browser.cookies.set(SESSION_COOKIE, planted);

    await authorize(browser, conf1, alice, { scope: 'openid api:read' });
    const first = browser.cookies.get(SESSION_COOKIE);
    assert.ok(first !== undefined, 'a session cookie after login');
    assert.notEqual(first, planted, 'a new session id after login');
    assert.match(first, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
    await assertSessionRejected(planted, 'the planted value');

    const again = await browser.get(authorizeUrlFor(conf1, { prompt: 'login' }));
    const relogin = await submitLogin(browser, locationOf(again), alice);
    assert.ok(callbackOf(relogin).searchParams.has('code'), 're-authentication completes');
    const second = browser.cookies.get(SESSION_COOKIE);
    assert.ok(second !== undefined, 'a session cookie after re-authentication');
    assert.notEqual(second, first, 'a new session id after re-authentication');
    await assertSessionRejected(first, 'the session before re-authentication');

    // The test clock does not move by itself, so it is advanced to make the last login older than max_age=0.
    gatehouse.clock.advance(1);
    const maxAge = await browser.get(authorizeUrlFor(conf1, { max_age: '0' }));
    const maxAgeLogin = await submitLogin(browser, locationOf(maxAge), alice);
    assert.ok(callbackOf(maxAgeLogin).searchParams.has('code'), 'max_age=0 login completes');
    const third = browser.cookies.get(SESSION_COOKIE);
    assert.ok(third !== undefined, 'a session cookie after max_age=0');
    assert.notEqual(third, second, 'a new session id after max_age=0');
    await assertSessionRejected(second, 'the session before max_age=0');
  });

  // Logout and the session lifetime end the session on the server.
  it('ends sessions at logout and expiry', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    await authorize(browser, conf1, alice, { scope: 'openid api:read' });
    const loggedOut = browser.cookies.get(SESSION_COOKIE) ?? '';
    const home = await browser.get('/');
    const logout = await browser.postForm('/logout', { csrf_token: formValue(home.body, 'csrf_token') });
    assert.equal(logout.statusCode, 303);
    await assertSessionRejected(loggedOut, 'the cookie after logout');

    const second = new BrowserSession(gatehouse.app);
    await authorize(second, conf1, alice, { scope: 'openid api:read' });
    const expiring = second.cookies.get(SESSION_COOKIE) ?? '';
    gatehouse.clock.advance(gatehouse.config.sessionSeconds + 1);
    await assertSessionRejected(expiring, 'the cookie after the session lifetime');
  });

  // A foreign return_to never becomes the target of the post-login redirect.
  it('ignores external return_to values', async () => {
    const { gatehouse, alice } = fixtures;
    const values = ['https://evil.example', '//evil.example', '/\\evil.example', 'https:evil.example', '/connected-apps/../\\evil.example'];
    for (const value of values) {
      const browser = new BrowserSession(gatehouse.app);
      const page = await browser.get(`/login?return_to=${encodeURIComponent(value)}`);
      assert.equal(page.body.includes('evil.example'), false, `${value}: not put into the form`);
      const response = await browser.postForm('/login', {
        csrf_token: formValue(page.body, 'csrf_token'),
        username: alice.username,
        password: alice.password,
        return_to: value,
      });
      assert.equal(response.statusCode, 303, value);
      assert.equal(locationOf(response), '/', `${value}: the user lands on Gatehouse's home page`);
    }
    const browser = new BrowserSession(gatehouse.app);
    const page = await browser.get('/login?return_to=%2Fconnected-apps');
    const response = await browser.postForm('/login', {
      csrf_token: formValue(page.body, 'csrf_token'),
      username: alice.username,
      password: alice.password,
      return_to: '/connected-apps',
    });
    assert.equal(locationOf(response), '/connected-apps', "Gatehouse's own page is allowed");
  });
});

describe('login cookies with an https issuer', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures({ environment: { GATEHOUSE_ISSUER: 'https://localhost:9443' } });
  });
  after(() => fixtures.gatehouse.stop());

  it('sets host-only secure cookies', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const start = await browser.get(authorizeUrlFor(conf1));
    const login = await submitLogin(browser, locationOf(start), alice);
    const setCookies = [start, login].flatMap((response) => {
      const header = response.headers['set-cookie'];
      return header === undefined ? [] : Array.isArray(header) ? header : [header];
    });
    const names = setCookies.map((header) => header.split('=')[0]);
    assert.ok(names.includes('__Host-gatehouse_browser'), 'the browser cookie is set');
    assert.ok(names.includes('__Host-gatehouse_session'), 'the session cookie is set');
    for (const header of setCookies) {
      const attributes = header.split(';').slice(1).map((part) => part.trim().toLowerCase());
      assert.ok(header.startsWith('__Host-'), `${header}: __Host- prefix`);
      assert.ok(attributes.includes('secure'), `${header}: Secure`);
      assert.ok(attributes.includes('httponly'), `${header}: HttpOnly`);
      assert.ok(attributes.includes('samesite=lax'), `${header}: SameSite=Lax`);
      assert.ok(attributes.includes('path=/'), `${header}: Path=/`);
      assert.equal(attributes.some((attribute) => attribute.startsWith('domain=')), false, `${header}: no Domain`);
    }
  });
});

describe('login attempt limits', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures({
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '20' },
    });
  });
  after(() => fixtures.gatehouse.stop());

  // Gatehouse pauses logins per account and per address; it shows no CAPTCHA.
  it('pauses guessing per account and address', async () => {
    const { gatehouse, alice, bob } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const token = await loginToken(browser);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // X-Forwarded-For is not trusted without GATEHOUSE_TRUSTED_PROXIES, so rotating it changes nothing.
      const response = await postLogin(
        gatehouse,
        browser,
        { csrf_token: token, username: alice.username, password: `wrong-${attempt}` },
        { 'x-forwarded-for': `203.0.113.${attempt + 1}` },
      );
      statuses.push(response.statusCode);
    }
    assert.deepEqual(statuses.slice(0, 5), [400, 400, 400, 400, 400], 'five failures are checked');
    assert.deepEqual(new Set(statuses.slice(5)), new Set([429]), 'then the account is paused');

    const sessionsBefore = await countRows(gatehouse, 'sessions');
    const right = await postLogin(gatehouse, browser, { csrf_token: token, username: alice.username, password: alice.password });
    assert.equal(right.statusCode, 429, 'the right password during the pause does not log in');
    assert.equal(right.cookies.some((cookie) => cookie.name === SESSION_COOKIE), false, 'no session cookie');

    // The twenty failures also used up the address limit, whatever X-Forwarded-For contained.
    const otherAccount = await postLogin(
      gatehouse,
      browser,
      { csrf_token: token, username: bob.username, password: bob.password },
      { 'x-forwarded-for': '198.51.100.7' },
    );
    assert.equal(otherAccount.statusCode, 429, 'another account from the same address is paused');
    assert.equal(await countRows(gatehouse, 'sessions'), sessionsBefore, 'no session was created');
  });
});

describe('password spraying limit', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures({
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '20' },
    });
  });
  after(() => fixtures.gatehouse.stop());

  it('pauses an address spraying many accounts', async () => {
    const { gatehouse, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const token = await loginToken(browser);
    const statuses: number[] = [];
    for (let account = 0; account < 25; account += 1) {
      const response = await postLogin(gatehouse, browser, { csrf_token: token, username: `user-${account}`, password: 'Summer2025!' });
      statuses.push(response.statusCode);
    }
    assert.equal(statuses.filter((status) => status === 400).length, 20, 'twenty guesses are checked');
    assert.deepEqual(new Set(statuses.slice(20)), new Set([429]), 'the rest are paused');
    const right = await postLogin(gatehouse, browser, { csrf_token: token, username: alice.username, password: alice.password });
    assert.equal(right.statusCode, 429, 'a real account from the paused address does not log in');
  });
});

describe('parallel password guesses', () => {
  let fixtures: SecurityFixtures;

  before(async () => {
    fixtures = await startSecurityFixtures({
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' },
    });
  });
  after(() => fixtures.gatehouse.stop());

  it('counts every parallel guess', async () => {
    const { gatehouse, alice } = fixtures;
    const browser = new BrowserSession(gatehouse.app);
    const token = await loginToken(browser);
    const guesses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        postLogin(gatehouse, browser, { csrf_token: token, username: alice.username, password: `parallel-${index}` }),
      ),
    );
    const checked = guesses.filter((response) => response.statusCode === 400).length;
    const paused = guesses.filter((response) => response.statusCode === 429).length;
    assert.ok(checked <= 5, `at most five guesses were checked, got ${checked}`);
    assert.equal(checked + paused, 50, 'every guess was either checked or paused');
    const right = await postLogin(gatehouse, browser, { csrf_token: token, username: alice.username, password: alice.password });
    assert.equal(right.statusCode, 429, 'the account is paused afterwards');
  });
});

describe('password checks', () => {
  let fixtures: SecurityFixtures;
  let longUser: TestUser;

  before(async () => {
    fixtures = await startSecurityFixtures({
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' },
    });
    const password = Array.from({ length: 100 }, (_, index) => 'abcdefghij'[index % 10]).join('');
    longUser = await fixtures.gatehouse.createUser({ username: 'longpass', password });
  });
  after(() => fixtures.gatehouse.stop());

  async function tryLogin(username: string, password: string): Promise<LightMyRequestResponse> {
    const browser = new BrowserSession(fixtures.gatehouse.app);
    return browser.postForm('/login', { csrf_token: await loginToken(browser), username, password });
  }

  // OWASP ASVS: no user enumeration through the login form.
  it('answers unknown users like wrong passwords', async () => {
    const { alice } = fixtures;
    const wrong = await tryLogin(alice.username, 'not-the-password');
    const unknown = await tryLogin('zed', 'not-the-password');
    assert.equal(wrong.statusCode, 400, 'wrong password');
    assert.equal(unknown.statusCode, 400, 'unknown user');
    const normalize = (body: string) => body.replace(/value="[^"]*"/g, 'value=""');
    assert.equal(normalize(wrong.body), normalize(unknown.body), 'the same page apart from field values');
    const cookieNames = (response: LightMyRequestResponse) => response.cookies.map((cookie) => cookie.name).sort();
    assert.deepEqual(cookieNames(wrong), cookieNames(unknown), 'the same cookies');
    assert.deepEqual(Object.keys(wrong.headers).sort(), Object.keys(unknown.headers).sort(), 'the same headers');

    // Both paths run argon2id, so their times differ by far less than a hash takes.
    const wrongTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let round = 0; round < 15; round += 1) {
      let started = performance.now();
      await tryLogin(alice.username, `wrong-${round}`);
      wrongTimes.push(performance.now() - started);
      started = performance.now();
      await tryLogin(`nobody-${round}`, `wrong-${round}`);
      unknownTimes.push(performance.now() - started);
    }
    const ratio = median(unknownTimes) / median(wrongTimes);
    assert.ok(ratio > 0.5, `an unknown user is not much faster: ratio ${ratio.toFixed(2)}`);
    assert.ok(ratio < 2, `an unknown user is not much slower: ratio ${ratio.toFixed(2)}`);
  });

  // argon2 has no length limit, unlike bcrypt's 72 bytes.
  it('compares long passwords in full', async () => {
    const exact = await tryLogin(longUser.username, longUser.password);
    assert.equal(exact.statusCode, 303, 'the 100-character password logs in');
    const truncated = `${longUser.password.slice(0, 72)}${'X'.repeat(28)}`;
    assert.equal((await tryLogin(longUser.username, truncated)).statusCode, 400, 'the first 72 characters are not enough');
    assert.equal((await tryLogin(longUser.username, longUser.password.slice(0, 99))).statusCode, 400, 'one character short');
    assert.equal((await tryLogin(longUser.username, longUser.password.toUpperCase())).statusCode, 400, 'no case folding');
  });

  it('stores salted argon2id hashes', async () => {
    const { gatehouse } = fixtures;
    const twinA = await gatehouse.createUser({ username: 'twin-a', password: 'the same password' });
    const twinB = await gatehouse.createUser({ username: 'twin-b', password: 'the same password' });
    const users = JSON.parse(await dumpTable(gatehouse, 'users')) as Array<{ username: string; password_hash: string }>;
    const hashA = users.find((user) => user.username === twinA.username)?.password_hash ?? '';
    const hashB = users.find((user) => user.username === twinB.username)?.password_hash ?? '';
    assert.match(hashA, /^\$argon2id\$/, 'argon2id');
    assert.notEqual(hashA, hashB, 'equal passwords get different hashes');
    assert.equal(hashA.includes('the same password'), false, 'the password is not stored');

    const times: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      const started = performance.now();
      const response = await tryLogin(twinA.username, twinA.password);
      times.push(performance.now() - started);
      assert.equal(response.statusCode, 303);
    }
    assert.ok(median(times) >= 5, `a correct login takes measurable time: ${median(times).toFixed(1)} ms`);
  });
});
