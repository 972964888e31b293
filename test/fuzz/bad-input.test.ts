import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LightMyRequestResponse } from 'fastify';
import { BrowserSession } from '../support/browser-session.js';
import { authorize, exchangeCode } from '../support/flows.js';
import { startTestGatehouse, type TestClient, type TestGatehouse, type TestUser } from '../support/gatehouse.js';

/** The number of generated requests; each one is checked on its own. */
const REQUEST_COUNT = 10_000;
/** The fuzzer stops early, and fails, if it runs longer than this. */
const TIME_LIMIT_MS = 240_000;
/** Heap growth allowed after the run and a garbage collection, for caches that fill once. */
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;

/** Text that only an internal failure would put in a response body. */
const INTERNAL_DETAIL = /node_modules|\.[jt]s:\d+|\bat [\w.<>]+ \(|SQLITE_|syntax error|ECONNREFUSED|TypeError|RangeError|stack/i;

/** A small seeded generator (mulberry32), so a failing request can be reproduced from the seed. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    integer: (limit: number) => Math.floor(next() * limit),
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}
type Random = ReturnType<typeof createRandom>;

interface Target {
  method: 'GET' | 'POST';
  path: string;
}

const TARGETS: Target[] = [
  { method: 'GET', path: '/authorize' },
  { method: 'POST', path: '/authorize' },
  { method: 'GET', path: '/login' },
  { method: 'POST', path: '/login' },
  { method: 'GET', path: '/consent' },
  { method: 'POST', path: '/consent' },
  { method: 'POST', path: '/logout' },
  { method: 'POST', path: '/token' },
  { method: 'GET', path: '/userinfo' },
  { method: 'POST', path: '/userinfo' },
  { method: 'POST', path: '/revoke' },
  { method: 'POST', path: '/introspect' },
  { method: 'POST', path: '/device_authorization' },
  { method: 'GET', path: '/device' },
  { method: 'POST', path: '/device' },
  { method: 'POST', path: '/device/decision' },
  { method: 'GET', path: '/end-session' },
  { method: 'POST', path: '/end-session' },
  { method: 'POST', path: '/end-session/confirm' },
  { method: 'GET', path: '/connected-apps' },
  { method: 'POST', path: '/connected-apps/revoke' },
  { method: 'GET', path: '/.well-known/openid-configuration' },
  { method: 'GET', path: '/.well-known/oauth-authorization-server' },
  { method: 'GET', path: '/jwks' },
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/no/such/page' },
];

const PARAMETER_NAMES = [
  'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge',
  'code_challenge_method', 'prompt', 'max_age', 'claims', 'response_mode', 'id_token_hint',
  'login_hint', 'ui_locales', 'resource', 'request', 'request_uri', 'grant_type', 'code',
  'code_verifier', 'refresh_token', 'client_secret', 'token', 'token_type_hint', 'device_code',
  'user_code', 'username', 'password', 'csrf_token', 'decision', 'post_logout_redirect_uri',
  'return_to', 'access_token',
];

/** Values that stress parsers: encodings, markup, control characters, sizes, look-alike URIs. */
/** JOSE headers whose members have types and contents that no JWT Gatehouse issues has. */
const CRAFTED_JWT_HEADERS: Array<Record<string, unknown>> = [
  { alg: 'ES256', kid: 'a\u0000' },
  { alg: 'ES256', kid: true },
  { alg: 'ES256', kid: { nested: 1 } },
  { alg: 'ES256', kid: ['a'] },
  { alg: 'ES256', kid: 12 },
  { alg: 'ES256', kid: 'k'.repeat(5000) },
  { alg: 7, kid: 'x' },
  { alg: 'ES256', kid: "' OR 1=1 --" },
  { alg: 'ES256', kid: '../../etc/passwd' },
  { alg: 'ES256', crit: ['exp'], kid: 'x' },
];

/** Builds a compact JWS with the given header, a small payload and a short fake signature. */
function craftedJwt(header: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode({ sub: 'x', aud: 'y' })}.AAAA`;
}

function hostileValue(random: Random, client: TestClient): string {
  const generators: Array<() => string> = [
    () => '',
    () => 'x'.repeat(1 + random.integer(8000)),
    () => 'y'.repeat(70_000),
    () => '<script>alert(1)</script>"\'><img src=x onerror=alert(1)>',
    () => '\u0000\u0001\u001f\u007f\r\nSet-Cookie: injected=1',
    () => '\ud800\udfff\ufffd\u202e\u200b',
    () => '%zz%%%C3%28%FF%C0%AF%',
    () => `${client.redirectUri}/extra`,
    () => client.redirectUri.replace('https://', 'https://evil.'),
    () => client.redirectUri.toUpperCase(),
    () => encodeURIComponent(client.redirectUri),
    () => `${client.redirectUri}#fragment`,
    () => 'javascript:alert(1)',
    () => 'data:text/html,<h1>x</h1>',
    () => Array.from({ length: 1 + random.integer(400) }, (_, index) => `scope${index}`).join(' '),
    () => 'openid profile email offline_access api:read',
    () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    () => 'eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vbmUifQ.e30.AAAA',
    () => 'eyJhbGciOiJFUzI1NiJ9.' + 'A'.repeat(random.integer(500)),
    () => craftedJwt(random.pick(CRAFTED_JWT_HEADERS)),
    () => JSON.stringify({ id_token: { sub: { value: random.pick(['a\u0000', '', 7, { x: 1 }, 'x'.repeat(300)]) } } }),
    () => '{"id_token":{"email":null}}',
    () => '{"userinfo":[1,2,3]}',
    () => '[]',
    () => String(-random.integer(1e9)),
    () => '1e309',
    () => 'S256',
    () => 'plain',
    () => 'code',
    () => 'token',
    () => 'none login',
    () => 'authorization_code',
    () => 'urn:ietf:params:oauth:grant-type:device_code',
    () => 'BCDF-GHJK',
    () => client.clientId,
    () => client.secret ?? 'secret',
  ];
  return random.pick(generators)();
}

/** Builds a query string or form body with duplicates, array syntax and raw, unencoded bytes. */
function hostileEncoded(random: Random, client: TestClient): string {
  const parts: string[] = [];
  const count = 1 + random.integer(12);
  for (let index = 0; index < count; index += 1) {
    let name = random.pick(PARAMETER_NAMES);
    const style = random.integer(10);
    if (style === 0) name = `${name}[]`;
    if (style === 1) name = `${name}[nested][deeper]`;
    const value = hostileValue(random, client);
    const raw = random.integer(6) === 0;
    parts.push(`${raw ? name : encodeURIComponent(name)}=${raw ? value : encodeURIComponent(value)}`);
    if (random.integer(8) === 0) parts.push(parts[parts.length - 1] as string);
  }
  if (random.integer(20) === 0) parts.push(...Array.from({ length: 2000 }, (_, index) => `a${index}=b`));
  return parts.join('&');
}

function hostileHeaders(random: Random, client: TestClient, cookie: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const authorization = random.integer(6);
  if (authorization === 0) headers.authorization = `Basic ${Buffer.from(`${client.clientId}:${client.secret ?? ''}`).toString('base64')}`;
  if (authorization === 1) headers.authorization = 'Basic !!!not-base64!!!';
  if (authorization === 2) headers.authorization = `Basic ${Buffer.from('no-colon').toString('base64')}`;
  if (authorization === 3) headers.authorization = `Bearer ${'z'.repeat(random.integer(3000))}`;
  if (authorization === 4) headers.authorization = `Basic ${Buffer.from('%zz:%%').toString('base64')}`;
  if (random.integer(3) === 0) headers.cookie = cookie;
  if (random.integer(5) === 0) headers.cookie = 'gatehouse_session=%; gatehouse_browser=<x>';
  if (random.integer(6) === 0) headers['accept-language'] = 'de;q=abc, *;q=0, x'.repeat(random.integer(50));
  if (random.integer(8) === 0) headers.origin = 'https://elsewhere.example.com';
  if (random.integer(8) === 0) headers['x-forwarded-for'] = '127.9.9.9, 127.8.8.8';
  return headers;
}

describe('bad-input fuzzer', () => {
  let gatehouse: TestGatehouse;
  let client: TestClient;
  let user: TestUser;
  let liveAccessToken: string;
  let browserCookie: string;

  before(async () => {
    gatehouse = await startTestGatehouse({
      // The fuzzer's own login attempts must not pause the account whose token it checks afterwards.
      environment: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: '10000', GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' },
    });
    client = await gatehouse.createClient({ scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'] });
    user = await gatehouse.createUser();
    const browser = new BrowserSession(gatehouse.app);
    const tokens = await exchangeCode(gatehouse, client, await authorize(browser, client, user, { scope: 'openid profile' }));
    liveAccessToken = tokens.json().access_token;
    browserCookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  });
  after(() => gatehouse.stop());

  /** Rows the fuzzer must never create, change or delete. */
  async function snapshotProtectedRows(): Promise<string> {
    const { db } = gatehouse.database;
    const tables = ['users', 'clients', 'grants', 'token_families', 'access_tokens', 'refresh_tokens', 'signing_keys'] as const;
    const snapshot: Record<string, unknown> = {};
    for (const table of tables) snapshot[table] = await db.selectFrom(table).selectAll().execute();
    return JSON.stringify(snapshot);
  }

  it('sends 10,000 requests with no 5xx or leak', async (context) => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const seed = Number(process.env.GATEHOUSE_FUZZ_SEED ?? 20261204);
    const random = createRandom(seed);
    const rowsBefore = await snapshotProtectedRows();
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const statuses = new Map<number, number>();

    for (let index = 0; index < REQUEST_COUNT; index += 1) {
      assert.ok(Date.now() - started < TIME_LIMIT_MS, `the fuzzer exceeded ${TIME_LIMIT_MS} ms after ${index} requests`);
      const target = random.pick(TARGETS);
      const encoded = hostileEncoded(random, client);
      const headers = hostileHeaders(random, client, browserCookie);
      let payload: string | Buffer | undefined;
      if (target.method === 'POST') {
        const bodyKind = random.integer(10);
        if (bodyKind <= 5) {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = encoded;
        } else if (bodyKind === 6) {
          headers['content-type'] = 'application/json';
          payload = JSON.stringify({ grant_type: ['a', 'b'], client_id: { nested: true }, code: 1 });
        } else if (bodyKind === 7) {
          headers['content-type'] = 'text/plain';
          payload = encoded;
        } else if (bodyKind === 8) {
          headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
          payload = Buffer.from([0x63, 0x6f, 0x64, 0x65, 0x3d, 0xff, 0xfe, 0xc3, 0x28, 0x26, 0x78, 0x3d, 0x80]);
        } else {
          payload = encoded;
        }
      }
      const url = target.method === 'GET' || random.integer(4) === 0 ? `${target.path}?${encoded}` : target.path;

      let response: LightMyRequestResponse;
      try {
        response = await gatehouse.app.inject({ method: target.method, url, headers, payload });
      } catch (error) {
        assert.fail(`request ${index} (seed ${seed}) ${target.method} ${target.path} threw: ${String(error)}`);
      }
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      const description = `request ${index} (seed ${seed}) ${target.method} ${url.slice(0, 200)}`;
      assert.ok(response.statusCode < 500, `${description} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      assert.doesNotMatch(response.body, INTERNAL_DETAIL, `${description} leaked internal detail`);
      const location = response.headers.location;
      if (typeof location === 'string' && !location.startsWith('/')) {
        assert.ok(
          location.startsWith(client.redirectUri),
          `${description} redirected to ${location}, which is not the registered redirect URI`,
        );
      }
    }

    assert.equal(await snapshotProtectedRows(), rowsBefore, 'no user, client, grant, token or key row changed');
    const userinfo = await gatehouse.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${liveAccessToken}` },
    });
    assert.equal(userinfo.statusCode, 200, 'the access token issued before the fuzzing still works');

    collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(growth < MAX_HEAP_GROWTH_BYTES, `the heap grew by ${Math.round(growth / 1048576)} MiB`);
    context.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    assert.ok((statuses.get(400) ?? 0) > 1000, `most requests are rejected as invalid: ${JSON.stringify([...statuses])}`);
  });
});
