import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUserCode, generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from '../../src/core/device-authorization.js';
import { InvalidTarget } from '../../src/core/errors.js';
import { buildIntrospectionResponse, lookupOrder, type TokenDetails } from '../../src/core/introspection.js';
import { chooseGrantedResource, findAudienceProblem, parseResourceParameter } from '../../src/core/resource-indicator.js';

describe('user codes', () => {
  it('draws from the alphabet', () => {
    for (let draw = 0; draw < 200; draw += 1) {
      const code = generateUserCode();
      assert.match(code, new RegExp(`^[${USER_CODE_ALPHABET}]{8}$`), `eight letters of the alphabet: ${code}`);
    }
  });

  const normalizations: Array<[string, string | undefined]> = [
    ['BCDF-GHJK', 'BCDFGHJK'],
    ['bcdf-ghjk', 'BCDFGHJK'],
    [' bcdf ghjk ', 'BCDFGHJK'],
    ['BCDFGHJK', 'BCDFGHJK'],
    ['BCDF\u2013GHJK', 'BCDFGHJK'],
    ['BCDF\u2212GHJK', 'BCDFGHJK'],
    ['\uFF22\uFF23\uFF24\uFF26-\uFF27\uFF28\uFF2A\uFF2B', 'BCDFGHJK'],
    ['BCDF\u00A0GHJK', 'BCDFGHJK'],
    ['BCDF-GHJ', undefined],
    ['BCDF-GHJKL', undefined],
    ['ABCD-EFGH', undefined],
    ['BCD0-GHJK', undefined],
  ];
  for (const [typed, expected] of normalizations) {
    it(`normalizes '${typed}'`, () => {
      assert.equal(normalizeUserCode(typed), expected, `'${typed}' normalizes to ${String(expected)}`);
    });
  }

  it('formats as XXXX-XXXX', () => {
    assert.equal(formatUserCode('BCDFGHJK'), 'BCDF-GHJK', 'a dash in the middle');
  });
});

describe('resource parameter', () => {
  const valid = ['https://api.example.com', 'https://api.example.com/v1', 'urn:example:api', 'https://api.example.com/?x=1'];
  for (const resource of valid) {
    it(`accepts ${resource}`, () => {
      assert.equal(parseResourceParameter(resource, false), resource, `${resource} is accepted`);
    });
  }

  const invalid = ['/relative', 'api.example.com', 'https://api.example.com/#section', ''];
  for (const resource of invalid) {
    it(`rejects '${resource}'`, () => {
      assert.throws(() => parseResourceParameter(resource, false), InvalidTarget, `'${resource}' is invalid_target`);
    });
  }

  it('rejects a repeated resource', () => {
    assert.throws(() => parseResourceParameter('https://api.example.com', true), InvalidTarget, 'invalid_target');
  });

  it('keeps registered audiences free of queries', () => {
    assert.equal(findAudienceProblem('https://api.example.com/v1'), undefined, 'a plain URL is fine');
    assert.equal(findAudienceProblem('https://api.example.com/?x=1'), 'should not include a query', 'a query is rejected');
  });

  it('binds the token request to the grant', () => {
    assert.equal(chooseGrantedResource(undefined, 'https://a.example.com'), 'https://a.example.com', 'the granted one');
    assert.equal(chooseGrantedResource('https://b.example.com', null), 'https://b.example.com', 'the requested one');
    assert.equal(chooseGrantedResource(undefined, null), undefined, 'none');
    assert.throws(() => chooseGrantedResource('https://b.example.com', 'https://a.example.com'), InvalidTarget, 'a mismatch');
  });
});

describe('introspection response', () => {
  const NOW = 1_700_000_000_000;
  const details: TokenDetails = {
    kind: 'access_token',
    clientId: 'client-1',
    userId: 'user-1',
    username: 'ada',
    scopes: ['api:read'],
    resource: 'https://api.example.com',
    jti: 'jti-1',
    issuedAt: NOW - 1000,
    expiresAt: NOW + 1000,
    usable: true,
  };

  it('hides a token from other callers', () => {
    const inactive = { active: false };
    const issuer = 'https://issuer.example.com';
    assert.deepEqual(buildIntrospectionResponse(details, { kind: 'client', clientId: 'client-2' }, issuer, NOW), inactive, 'another client');
    assert.deepEqual(
      buildIntrospectionResponse(details, { kind: 'resource_server', audience: 'https://other.example.com' }, issuer, NOW),
      inactive,
      'another audience',
    );
    assert.deepEqual(buildIntrospectionResponse({ ...details, usable: false }, { kind: 'client', clientId: 'client-1' }, issuer, NOW), inactive, 'revoked');
    assert.deepEqual(buildIntrospectionResponse(details, { kind: 'client', clientId: 'client-1' }, issuer, NOW + 1000), inactive, 'expired');
  });

  it('orders the lookup by hint', () => {
    assert.deepEqual(lookupOrder('refresh_token'), ['refresh_token', 'access_token'], 'refresh token first');
    assert.deepEqual(lookupOrder('access_token'), ['access_token', 'refresh_token'], 'access token first');
    assert.deepEqual(lookupOrder('other'), ['access_token', 'refresh_token'], 'an unknown hint is ignored');
  });
});
