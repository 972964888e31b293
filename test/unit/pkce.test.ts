import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidGrant, InvalidRequest } from '../../src/core/errors.js';
import { checkCodeChallenge, computeS256Challenge, verifyCodeVerifier } from '../../src/core/pkce.js';

/** The example pair of RFC 7636 appendix B. */
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('checkCodeChallenge', () => {
  it('accepts an S256 challenge', () => {
    assert.deepEqual(checkCodeChallenge(RFC_CHALLENGE, 'S256', true), { challenge: RFC_CHALLENGE, method: 'S256' });
  });

  it('allows no PKCE when not required', () => {
    assert.equal(checkCodeChallenge(undefined, undefined, false), undefined, 'no challenge gives undefined');
  });

  const invalid: Array<{ name: string; challenge: string | undefined; method: string | undefined; message: RegExp }> = [
    { name: 'a missing required challenge', challenge: undefined, method: undefined, message: /missing required parameter 'code_challenge'/ },
    { name: 'the plain method', challenge: RFC_VERIFIER, method: 'plain', message: /'code_challenge_method' must be 'S256'/ },
    { name: 'a missing method, which means plain', challenge: RFC_CHALLENGE, method: undefined, message: /'code_challenge_method' must be 'S256'/ },
    { name: 'a lower-case method name', challenge: RFC_CHALLENGE, method: 's256', message: /'code_challenge_method' must be 'S256'/ },
    { name: 'a method without a challenge', challenge: undefined, method: 'S256', message: /without 'code_challenge'/ },
    { name: 'a 42-character challenge', challenge: RFC_CHALLENGE.slice(0, 42), method: 'S256', message: /43-character/ },
    { name: 'a 44-character challenge', challenge: `${RFC_CHALLENGE}A`, method: 'S256', message: /43-character/ },
    { name: 'a padded Base64 challenge', challenge: `${RFC_CHALLENGE.slice(0, 42)}=`, method: 'S256', message: /43-character/ },
    { name: 'a challenge with plus signs', challenge: RFC_CHALLENGE.replace(/-/g, '+'), method: 'S256', message: /43-character/ },
  ];
  for (const { name, challenge, method, message } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => checkCodeChallenge(challenge, method, true),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRequest, `${name} is InvalidRequest`);
          assert.equal(error.code, 'invalid_request', `${name} has code invalid_request`);
          assert.match(error.description, message, `${name} is described`);
          return true;
        },
      );
    });
  }

  it('rejects plain even when not required', () => {
    assert.throws(() => checkCodeChallenge(RFC_VERIFIER, 'plain', false), InvalidRequest, 'plain is never accepted');
    assert.throws(() => checkCodeChallenge(RFC_CHALLENGE, undefined, false), InvalidRequest, 'a missing method is plain');
  });
});

describe('verifyCodeVerifier', () => {
  it('computes the RFC 7636 example challenge', () => {
    assert.equal(computeS256Challenge(RFC_VERIFIER), RFC_CHALLENGE, 'S256 of the example verifier');
  });

  it('accepts the matching verifier', () => {
    assert.doesNotThrow(() => verifyCodeVerifier(RFC_VERIFIER, RFC_CHALLENGE));
  });

  it('accepts verifiers of 43 and 128 characters', () => {
    for (const length of [43, 128]) {
      const verifier = 'a-b.c_d~'.repeat(16).slice(0, length);
      assert.equal(verifier.length, length, `the verifier has ${length} characters`);
      assert.doesNotThrow(() => verifyCodeVerifier(verifier, computeS256Challenge(verifier)), `${length} characters are valid`);
    }
  });

  it('needs no verifier without a challenge', () => {
    assert.doesNotThrow(() => verifyCodeVerifier(undefined, null));
  });

  const invalid: Array<{ name: string; verifier: string | undefined; challenge: string | null }> = [
    { name: 'a missing verifier', verifier: undefined, challenge: RFC_CHALLENGE },
    { name: 'a verifier without a challenge', verifier: RFC_VERIFIER, challenge: null },
    { name: 'a 42-character verifier', verifier: 'a'.repeat(42), challenge: computeS256Challenge('a'.repeat(42)) },
    { name: 'a 129-character verifier', verifier: 'a'.repeat(129), challenge: computeS256Challenge('a'.repeat(129)) },
    { name: 'a verifier with a plus sign', verifier: `${'a'.repeat(42)}+`, challenge: computeS256Challenge(`${'a'.repeat(42)}+`) },
    { name: 'a verifier with a slash', verifier: `${'a'.repeat(42)}/`, challenge: computeS256Challenge(`${'a'.repeat(42)}/`) },
    { name: 'a verifier with a space', verifier: `${'a'.repeat(42)} `, challenge: computeS256Challenge(`${'a'.repeat(42)} `) },
    { name: 'a verifier with a non-ASCII letter', verifier: `${'a'.repeat(42)}é`, challenge: computeS256Challenge(`${'a'.repeat(42)}é`) },
    { name: 'a mismatched verifier', verifier: `${RFC_VERIFIER.slice(0, -1)}l`, challenge: RFC_CHALLENGE },
    { name: 'the challenge sent as verifier', verifier: RFC_CHALLENGE, challenge: RFC_CHALLENGE },
  ];
  for (const { name, verifier, challenge } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => verifyCodeVerifier(verifier, challenge),
        (error: unknown) => {
          assert.ok(error instanceof InvalidGrant, `${name} is InvalidGrant`);
          assert.equal(error.code, 'invalid_grant', `${name} has code invalid_grant`);
          return true;
        },
      );
    });
  }
});
