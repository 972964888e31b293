import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequest } from '../../src/core/errors.js';
import { collectParameters, entriesOf, readParameters, requireParameter } from '../../src/core/params.js';

describe('readParameters', () => {
  it('keeps one value per name', () => {
    const { parameters, repeated } = readParameters([
      ['client_id', 'abc'],
      ['scope', 'profile'],
    ]);
    assert.equal(parameters.get('client_id'), 'abc', 'client_id keeps its value');
    assert.equal(parameters.get('scope'), 'profile', 'scope keeps its value');
    assert.deepEqual(repeated, [], 'no name is reported as repeated');
  });

  it('treats empty values as absent', () => {
    const { parameters, repeated } = readParameters([
      ['state', ''],
      ['scope', 'profile'],
    ]);
    assert.equal(parameters.has('state'), false, 'an empty state is absent');
    assert.equal(parameters.get('scope'), 'profile', 'the other parameter stays');
    assert.deepEqual(repeated, [], 'an empty value is not a repetition');
  });

  it('reports every repeated name once', () => {
    const { parameters, repeated } = readParameters([
      ['scope', 'profile'],
      ['scope', 'email'],
      ['scope', 'api:read'],
      ['state', 'a'],
      ['state', 'b'],
      ['client_id', 'abc'],
    ]);
    assert.deepEqual([...repeated].sort(), ['scope', 'state'], 'scope and state are repeated');
    assert.equal(parameters.get('scope'), 'profile', 'the first value is kept');
    assert.equal(parameters.get('client_id'), 'abc', 'the single parameter stays');
  });

  it('counts an empty duplicate as repeated', () => {
    const { repeated } = readParameters([
      ['redirect_uri', 'https://app.example.com/callback'],
      ['redirect_uri', ''],
    ]);
    assert.deepEqual(repeated, ['redirect_uri'], 'a second, empty redirect_uri is still a repetition');
  });
});

describe('collectParameters', () => {
  it('returns the parameters without repeats', () => {
    const parameters = collectParameters([
      ['grant_type', 'authorization_code'],
      ['code', 'xyz'],
      ['code_verifier', ''],
    ]);
    assert.equal(parameters.get('grant_type'), 'authorization_code', 'grant_type is read');
    assert.equal(parameters.get('code'), 'xyz', 'code is read');
    assert.equal(parameters.has('code_verifier'), false, 'an empty code_verifier is absent');
  });

  it('rejects repeated names with invalid_request', () => {
    assert.throws(
      () =>
        collectParameters([
          ['grant_type', 'authorization_code'],
          ['grant_type', 'refresh_token'],
        ]),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest, 'the error is InvalidRequest');
        assert.equal(error.code, 'invalid_request', 'the code is invalid_request');
        assert.match(error.description, /'grant_type' must not be repeated/, 'the description names the parameter');
        return true;
      },
    );
  });
});

describe('entriesOf', () => {
  it('expands arrays into repeated entries', () => {
    assert.deepEqual(
      entriesOf({ scope: ['profile', 'email'], state: 'xyz' }),
      [
        ['scope', 'profile'],
        ['scope', 'email'],
        ['state', 'xyz'],
      ],
      'each array item becomes its own entry',
    );
  });

  it('returns no entries for a missing source', () => {
    assert.deepEqual(entriesOf(undefined), [], 'undefined gives no entries');
    assert.deepEqual(entriesOf(null), [], 'null gives no entries');
  });

  const invalidSources: Array<{ name: string; source: unknown }> = [
    { name: 'a plain string body', source: 'grant_type=authorization_code' },
    { name: 'a nested object', source: { client_id: { nested: 'x' } } },
    { name: 'a number value', source: { expires: 5 } },
    { name: 'an array with a number', source: { scope: ['profile', 5] } },
  ];
  for (const { name, source } of invalidSources) {
    it(`rejects ${name}`, () => {
      assert.throws(() => entriesOf(source), InvalidRequest, `${name} is invalid_request`);
    });
  }
});

describe('requireParameter', () => {
  it('names the missing parameter', () => {
    assert.throws(
      () => requireParameter(new Map(), 'code'),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest, 'the error is InvalidRequest');
        assert.equal(error.description, "missing required parameter 'code'", 'the description names code');
        return true;
      },
    );
  });
});

describe('entriesOf with NUL characters', () => {
  const cases: Array<[string, unknown]> = [
    ['a value', { state: 'a\u0000b' }],
    ['an array item', { scope: ['profile', 'e\u0000mail'] }],
    ['a name', { 'sta\u0000te': 'x' }],
  ];
  for (const [name, source] of cases) {
    it(`rejects NUL in ${name}`, () => {
      assert.throws(
        () => entriesOf(source),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRequest, 'the error is InvalidRequest');
          assert.match(error.description, /must not contain a NUL character/);
          return true;
        },
      );
    });
  }
});
