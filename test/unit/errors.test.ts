import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequest, toDescriptionCharacters, UnsupportedGrantType } from '../../src/core/errors.js';

describe('error descriptions', () => {
  it('keeps the allowed characters', () => {
    const text = "grant type 'authorization_code' is not supported: use one of [a-z]!";
    assert.equal(toDescriptionCharacters(text), text);
  });

  it('replaces quotes, backslashes, controls and non-ASCII', () => {
    assert.equal(toDescriptionCharacters('a"b\\c\u0001d\u007fe\u00e9f'), 'a?b?c?d?e?f');
  });

  it('applies to every protocol error', () => {
    const error = new UnsupportedGrantType("grant type 'x\u0001\u001f\u007f\"' is not supported");
    assert.equal(error.description, "grant type 'x????' is not supported", 'the description on the wire');
    assert.equal(new InvalidRequest('scope "\u00e9"').description, 'scope ???', 'the description of a redirect');
  });
});
