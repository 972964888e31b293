import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidScope } from '../../src/core/errors.js';
import { checkScopesAllowed, isCoveredBy, MAX_SCOPE_TOKENS, mergeScopes, parseScope } from '../../src/core/scope.js';

describe('parseScope', () => {
  const valid: Array<{ input: string; expected: string[] }> = [
    { input: 'profile', expected: ['profile'] },
    { input: 'profile email', expected: ['profile', 'email'] },
    { input: 'email profile email', expected: ['email', 'profile'] },
    { input: 'api:read https://api.example.com/x', expected: ['api:read', 'https://api.example.com/x'] },
    { input: '!#[]~', expected: ['!#[]~'] },
  ];
  for (const { input, expected } of valid) {
    it(`parses '${input}'`, () => {
      assert.deepEqual(parseScope(input), expected, `'${input}' gives its distinct tokens in order`);
    });
  }

  const invalid: Array<{ name: string; input: string }> = [
    { name: 'a leading space', input: ' profile' },
    { name: 'a trailing space', input: 'profile ' },
    { name: 'a double space', input: 'profile  email' },
    { name: 'a tab separator', input: 'profile\temail' },
    { name: 'a double quote', input: 'pro"file' },
    { name: 'a backslash', input: 'pro\\file' },
    { name: 'a non-ASCII letter', input: 'profilé' },
    { name: 'a newline', input: 'profile\nemail' },
    { name: 'too many tokens', input: Array.from({ length: MAX_SCOPE_TOKENS + 1 }, (_, i) => `s${i}`).join(' ') },
  ];
  for (const { name, input } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseScope(input), InvalidScope, `${name} is invalid_scope`);
    });
  }

  it('accepts the maximum token count', () => {
    const input = Array.from({ length: MAX_SCOPE_TOKENS }, (_, i) => `s${i}`).join(' ');
    assert.equal(parseScope(input).length, MAX_SCOPE_TOKENS, `${MAX_SCOPE_TOKENS} tokens are accepted`);
  });
});

describe('checkScopesAllowed', () => {
  it('accepts a subset of the allowed scopes', () => {
    assert.doesNotThrow(() => checkScopesAllowed(['email'], ['profile', 'email']), 'email is allowed');
    assert.doesNotThrow(() => checkScopesAllowed([], ['profile']), 'no scope is always allowed');
  });

  it('names every scope not allowed', () => {
    assert.throws(
      () => checkScopesAllowed(['profile', 'admin', 'email', 'billing'], ['profile', 'email']),
      (error: unknown) => {
        assert.ok(error instanceof InvalidScope, 'the error is InvalidScope');
        assert.equal(error.code, 'invalid_scope', 'the code is invalid_scope');
        assert.match(error.description, /'admin'/, 'the description names admin');
        assert.match(error.description, /'billing'/, 'the description names billing');
        assert.doesNotMatch(error.description, /'profile'/, 'the description leaves out allowed scopes');
        return true;
      },
    );
  });

  it('compares scopes case-sensitively', () => {
    assert.throws(() => checkScopesAllowed(['Profile'], ['profile']), InvalidScope, 'Profile is not profile');
  });
});

describe('isCoveredBy and mergeScopes', () => {
  it('detects a wider request', () => {
    assert.equal(isCoveredBy(['profile'], ['profile', 'email']), true, 'a narrower request is covered');
    assert.equal(isCoveredBy(['profile', 'email'], ['profile']), false, 'a wider request is not covered');
  });

  it('merges without duplicates', () => {
    assert.deepEqual(mergeScopes(['profile', 'email'], ['email', 'api:read']), ['profile', 'email', 'api:read']);
  });
});
