import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRedirectUriProblem, matchRedirectUri, MAX_REDIRECT_URI_LENGTH } from '../../src/core/redirect-uri.js';

const REGISTERED = 'https://app.example.com/callback';

describe('matchRedirectUri', () => {
  it('matches an identical URI', () => {
    assert.equal(matchRedirectUri(REGISTERED, [REGISTERED], false), REGISTERED, 'a confidential client matches');
    assert.equal(matchRedirectUri(REGISTERED, [REGISTERED], true), REGISTERED, 'a public client matches');
  });

  it('finds the matching one of several', () => {
    const second = 'https://app.example.com/other';
    assert.equal(matchRedirectUri(second, [REGISTERED, second], false), second);
  });

  const mismatches: Array<{ name: string; requested: string }> = [
    { name: 'a trailing slash', requested: `${REGISTERED}/` },
    { name: 'an extra path segment', requested: `${REGISTERED}/extra` },
    { name: 'a shorter path', requested: 'https://app.example.com/' },
    { name: 'an added query', requested: `${REGISTERED}?next=1` },
    { name: 'an empty query', requested: `${REGISTERED}?` },
    { name: 'upper case in the host', requested: 'https://APP.example.com/callback' },
    { name: 'upper case in the path', requested: 'https://app.example.com/Callback' },
    { name: 'a different port', requested: 'https://app.example.com:8443/callback' },
    { name: 'the default port written out', requested: 'https://app.example.com:443/callback' },
    { name: 'http instead of https', requested: 'http://app.example.com/callback' },
    { name: 'a fragment', requested: `${REGISTERED}#section` },
    { name: 'a percent-encoded path', requested: 'https://app.example.com/%63allback' },
    { name: 'user information', requested: 'https://user@app.example.com/callback' },
    { name: 'a suffix on the host', requested: 'https://app.example.com.evil.example/callback' },
    { name: 'a subdomain', requested: 'https://sub.app.example.com/callback' },
  ];
  for (const { name, requested } of mismatches) {
    it(`rejects ${name}`, () => {
      assert.equal(matchRedirectUri(requested, [REGISTERED], false), undefined, `confidential: ${requested}`);
      assert.equal(matchRedirectUri(requested, [REGISTERED], true), undefined, `public: ${requested}`);
    });
  }

  describe('loopback redirect URIs', () => {
    const loopback = 'http://127.0.0.1/callback';
    const loopbackV6 = 'http://[::1]/callback';

    it('lets public clients use any port', () => {
      assert.equal(matchRedirectUri('http://127.0.0.1:53123/callback', [loopback], true), loopback, 'IPv4 with a port');
      assert.equal(matchRedirectUri('http://[::1]:8080/callback', [loopbackV6], true), loopbackV6, 'IPv6 with a port');
      assert.equal(
        matchRedirectUri('http://127.0.0.1:9999/callback', ['http://127.0.0.1:8080/callback'], true),
        'http://127.0.0.1:8080/callback',
        'a registered port does not fix the requested one',
      );
    });

    it('keeps the exact port for confidential clients', () => {
      assert.equal(matchRedirectUri('http://127.0.0.1:53123/callback', [loopback], false), undefined);
    });

    const publicMismatches: Array<{ name: string; requested: string }> = [
      { name: 'different path', requested: 'http://127.0.0.1:53123/other' },
      { name: 'added query', requested: 'http://127.0.0.1:53123/callback?x=1' },
      { name: 'localhost name', requested: 'http://localhost:53123/callback' },
      { name: 'https on loopback', requested: 'https://127.0.0.1:53123/callback' },
      { name: 'other loopback address', requested: 'http://127.0.0.2:53123/callback' },
      { name: 'port above 65535', requested: 'http://127.0.0.1:70000/callback' },
      { name: 'fragment', requested: 'http://127.0.0.1:53123/callback#x' },
    ];
    for (const { name, requested } of publicMismatches) {
      it(`loopback: rejects ${name}`, () => {
        assert.equal(matchRedirectUri(requested, [loopback], true), undefined, requested);
      });
    }

    it('needs a loopback registration', () => {
      assert.equal(
        matchRedirectUri('http://127.0.0.1:53123/callback', [REGISTERED], true),
        undefined,
        'a loopback request does not match an https registration',
      );
    });
  });
});

describe('findRedirectUriProblem', () => {
  const strict = { allowInsecureHttp: false };

  const accepted = [
    'https://app.example.com/callback',
    'https://app.example.com/callback?tenant=1',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:8080/callback',
    'http://[::1]/callback',
    'http://localhost:3000/callback',
    'com.example.app:/oauth/callback',
    'https://app.example.com/v1.2/callback',
    'https://app.example.com/.well-known/callback?next=..',
  ];
  for (const uri of accepted) {
    it(`accepts ${uri}`, () => {
      assert.equal(findRedirectUriProblem(uri, strict), undefined, uri);
    });
  }

  const rejected: Array<{ name: string; uri: string; problem: RegExp }> = [
    { name: 'a fragment', uri: 'https://app.example.com/callback#frag', problem: /fragment/ },
    { name: 'an empty fragment', uri: 'https://app.example.com/callback#', problem: /fragment/ },
    { name: 'a wildcard host', uri: 'https://*.example.com/callback', problem: /wildcard/ },
    { name: 'a wildcard path', uri: 'https://app.example.com/*', problem: /wildcard/ },
    { name: 'the javascript scheme', uri: 'javascript:alert(1)', problem: /'javascript:' scheme/ },
    { name: 'the javascript scheme in capitals', uri: 'JAVASCRIPT:alert(1)', problem: /'javascript:' scheme/ },
    { name: 'the data scheme', uri: 'data:text/html,hello', problem: /'data:' scheme/ },
    { name: 'the vbscript scheme', uri: 'vbscript:msgbox', problem: /'vbscript:' scheme/ },
    { name: 'the file scheme', uri: 'file:///etc/passwd', problem: /'file:' scheme/ },
    { name: 'http on a public host', uri: 'http://app.example.com/callback', problem: /must use https/ },
    { name: 'http on a private address', uri: 'http://10.0.0.5/callback', problem: /must use https/ },
    { name: 'a relative URI', uri: '/callback', problem: /absolute URI/ },
    { name: 'user information', uri: 'https://user:pass@app.example.com/callback', problem: /user information/ },
    { name: 'a dot-dot segment', uri: 'https://app.example.com/cb/../x', problem: /path segments/ },
    { name: 'an encoded dot-dot segment', uri: 'https://app.example.com/cb/%2E%2e/x', problem: /path segments/ },
    { name: 'a trailing dot segment', uri: 'https://app.example.com/cb/.', problem: /path segments/ },
    { name: 'a dot segment in a private scheme', uri: 'com.example.app:/../cb', problem: /path segments/ },
    { name: 'an encoded CR LF', uri: 'https://app.example.com/cb%0d%0aSet-Cookie:x=1', problem: /control characters/ },
    { name: 'a space', uri: 'https://app.example.com/my callback', problem: /spaces or control/ },
    { name: 'a backslash before user information', uri: 'https://app.example.com\\@evil.example/cb', problem: /must not contain \\/ },
    { name: 'markup', uri: 'https://app.example.com/cb?<script>', problem: /must not contain \\/ },
    {
      name: 'an overlong URI',
      uri: `https://app.example.com/${'a'.repeat(MAX_REDIRECT_URI_LENGTH)}`,
      problem: new RegExp(`longer than ${MAX_REDIRECT_URI_LENGTH}`),
    },
  ];
  for (const { name, uri, problem } of rejected) {
    it(`rejects ${name}`, () => {
      const found = findRedirectUriProblem(uri, strict);
      assert.ok(found !== undefined, `${uri.slice(0, 60)} is rejected`);
      assert.match(found, problem, `the problem for ${name} is described`);
    });
  }

  it('allows http when the policy allows it', () => {
    assert.equal(findRedirectUriProblem('http://app.example.com/callback', { allowInsecureHttp: true }), undefined);
    assert.match(
      findRedirectUriProblem('javascript:alert(1)', { allowInsecureHttp: true }) ?? '',
      /'javascript:' scheme/,
      'the policy never allows javascript:',
    );
  });
});
