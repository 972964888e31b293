import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Browser } from 'playwright-core';
import { browserSkipReason, CHROMIUM_PATH, launchChromium } from '../support/chromium.js';
import { BrowserSession, formValue, locationOf } from '../support/browser-session.js';
import { authorizeUrlFor, startSecurityFixtures, type SecurityFixtures } from '../support/authorization-fixtures.js';
import { submitLogin } from '../support/flows.js';

/** Debian's Chromium package; playwright-core brings no browser of its own. */
const skipReason = browserSkipReason('the framing test in Chromium');

type Page = { label: string; response: LightMyRequestResponse };

/** Collects every kind of page Gatehouse renders, for header checks. */
async function collectPages(fixtures: SecurityFixtures): Promise<Page[]> {
  const { gatehouse, conf1, alice } = fixtures;
  const browser = new BrowserSession(gatehouse.app);
  const start = await browser.get(authorizeUrlFor(conf1, { scope: 'openid profile' }));
  const loginLocation = locationOf(start);
  const login = await browser.get(loginLocation);
  const consentLocation = locationOf(await submitLogin(browser, loginLocation, alice));
  const consent = await browser.get(consentLocation);
  const authorizeError = await browser.get(authorizeUrlFor(conf1, { redirect_uri: 'https://evil.example/cb' }));
  const notFound = await browser.get('/no-such-page');
  const home = await browser.get('/');
  const endSession = await browser.get('/end-session');
  const logout = await browser.postForm('/logout', { csrf_token: formValue(home.body, 'csrf_token') });
  const standaloneLogin = await browser.get('/login');
  return [
    { label: 'login', response: login },
    { label: 'standalone login', response: standaloneLogin },
    { label: 'consent', response: consent },
    { label: 'authorization error', response: authorizeError },
    { label: 'not found', response: notFound },
    { label: 'home', response: home },
    { label: 'end session', response: endSession },
    { label: 'logout', response: logout },
  ];
}

function directives(policy: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') result.set(name.toLowerCase(), values);
  }
  return result;
}

describe('page hardening headers', () => {
  let fixtures: SecurityFixtures;
  let pages: Page[];

  before(async () => {
    fixtures = await startSecurityFixtures({ environment: { GATEHOUSE_ISSUER: 'https://localhost:9443' } });
    pages = await collectPages(fixtures);
  });
  after(() => fixtures.gatehouse.stop());

  // RFC 6749 section 10.13: clickjacking defence on every page.
  it('forbids framing of every page', () => {
    for (const { label, response } of pages) {
      const policy = directives(String(response.headers['content-security-policy']));
      assert.deepEqual(policy.get('frame-ancestors'), ["'none'"], `${label}: frame-ancestors 'none'`);
      assert.equal(response.headers['x-frame-options'], 'DENY', `${label}: X-Frame-Options DENY`);
    }
  });

  it('sends a strict Content-Security-Policy', () => {
    for (const { label, response } of pages) {
      const header = response.headers['content-security-policy'];
      assert.equal(typeof header, 'string', `${label}: one CSP header`);
      const policy = directives(String(header));
      assert.deepEqual(policy.get('object-src'), ["'none'"], `${label}: object-src 'none'`);
      assert.deepEqual(policy.get('base-uri'), ["'none'"], `${label}: base-uri 'none'`);
      assert.deepEqual(policy.get('default-src'), ["'none'"], `${label}: default-src 'none'`);
      assert.equal(String(header).includes('unsafe-inline'), false, `${label}: no unsafe-inline`);
      assert.equal(String(header).includes('unsafe-eval'), false, `${label}: no unsafe-eval`);
      const scripts = policy.get('script-src');
      assert.ok(scripts === undefined || scripts.every((source) => source === "'self'"), `${label}: scripts from Gatehouse only`);
      const formAction = policy.get('form-action') ?? [];
      assert.ok(formAction.includes("'self'"), `${label}: form-action includes 'self'`);
      const others = formAction.filter((source) => source !== "'self'");
      assert.ok(
        others.every((source) => source === 'https://app.example.com'),
        `${label}: form-action adds at most the client's origin: ${formAction.join(' ')}`,
      );
    }
  });

  // RFC 9700 section 4.2.4: URLs with state and request ids must not leak through Referer.
  it('sends no referrer and no third-party content', () => {
    for (const { label, response } of pages) {
      assert.equal(response.headers['referrer-policy'], 'no-referrer', `${label}: Referrer-Policy`);
      const references = [...response.body.matchAll(/\b(?:src|href|action)="([^"]*)"/g)].map((match) => match[1] ?? '');
      for (const reference of references) {
        assert.ok(reference.startsWith('/'), `${label}: '${reference}' is a path on Gatehouse`);
        assert.equal(reference.startsWith('//'), false, `${label}: '${reference}' names no other host`);
      }
    }
  });

  it('marks every page no-store', () => {
    for (const { label, response } of pages) {
      assert.equal(response.headers['cache-control'], 'no-store', `${label}: Cache-Control`);
    }
  });

  it('sends nosniff, HSTS and a charset', () => {
    for (const { label, response } of pages) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff', `${label}: nosniff`);
      const hsts = String(response.headers['strict-transport-security']);
      const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0);
      assert.ok(maxAge >= 31_536_000, `${label}: HSTS for at least a year: ${hsts}`);
      if (response.statusCode !== 303) {
        assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8$/i, `${label}: Content-Type`);
      }
    }
  });
});

describe('framing in Chromium', { skip: skipReason, timeout: 60_000 }, () => {
  let fixtures: SecurityFixtures;
  let framer: Server;
  let framerOrigin: string;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `expected Chromium at ${CHROMIUM_PATH}, because GATEHOUSE_REQUIRE_BROWSER=1`);
    fixtures = await startSecurityFixtures({ listen: true });
    // Another origin (another port on 127.0.0.1) that frames Gatehouse's pages, or its own page as a control.
    framer = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/inner') {
        response.setHeader('content-type', 'text/html; charset=utf-8');
        response.end('<!doctype html><p id="inner">framed</p>');
        return;
      }
      const target = url.searchParams.get('target') ?? '/inner';
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(`<!doctype html><iframe id="frame" src="${target.replace(/"/g, '&quot;')}"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    framerOrigin = `http://127.0.0.1:${(framer.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => framer?.close(resolve));
    await fixtures?.gatehouse.stop();
  });

  /** Loads the framing page and returns whether the iframe shows an element matching `selector`. */
  async function frameShows(target: string, selector: string): Promise<boolean> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${framerOrigin}/?target=${encodeURIComponent(target)}`, { waitUntil: 'load' });
      await page.waitForTimeout(300);
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
      if (frame === undefined) return false;
      try {
        return (await frame.locator(selector).count()) > 0;
      } catch {
        return false;
      }
    } finally {
      await context.close();
    }
  }

  it('refuses to render inside a frame', async () => {
    const { gatehouse, conf1, alice } = fixtures;
    assert.equal(await frameShows(`${framerOrigin}/inner`, '#inner'), true, 'the control page renders in the frame');
    assert.equal(await frameShows(`${gatehouse.baseUrl}/login`, 'input[name="password"]'), false, 'the login page is blocked');

    // The consent page of a real pending request, reached in the same browser context as the frame.
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${gatehouse.baseUrl}${authorizeUrlFor(conf1, { scope: 'openid profile' })}`);
      await page.fill('input[name="username"]', alice.username);
      await page.fill('input[name="password"]', alice.password);
      await Promise.all([page.waitForURL(/\/consent\?request=/), page.click('button[type="submit"]')]);
      const consentUrl = page.url();
      await page.goto(`${framerOrigin}/?target=${encodeURIComponent(consentUrl)}`, { waitUntil: 'load' });
      await page.waitForTimeout(300);
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
      let shown = false;
      if (frame !== undefined) {
        try {
          shown = (await frame.locator('button[value="allow"]').count()) > 0;
        } catch {
          shown = false;
        }
      }
      assert.equal(shown, false, 'the consent page is blocked, so its Allow button cannot be clicked');
    } finally {
      await context.close();
    }
  });
});
