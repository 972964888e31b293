import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateId, generateSecret, hashSecret, secretMatchesHash } from '../../src/core/secrets.js';

describe('identifiers and secrets', () => {
  it('generates ids that are never options', () => {
    const ids = Array.from({ length: 4000 }, () => generateId());
    for (const id of ids) {
      assert.match(id, /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/, `22 URL-safe characters starting with a letter or digit: ${id}`);
    }
    assert.equal(new Set(ids).size, ids.length, 'no id repeats');
    // With 4000 ids, a first character of '-' or '_' would appear about 125 times if it were allowed.
    const firstCharacters = new Set(ids.map((id) => id[0]));
    assert.ok(firstCharacters.size > 50, 'the first character still varies over letters and digits');
  });

  it('hashes and compares 256-bit secrets', () => {
    const secret = generateSecret();
    assert.equal(Buffer.from(secret, 'base64url').length, 32, '32 random bytes');
    assert.match(hashSecret(secret), /^[A-Za-z0-9_-]{43}$/, 'a SHA-256 digest in base64url');
    assert.notEqual(hashSecret(secret), secret, 'the digest is not the secret');
    assert.equal(secretMatchesHash(secret, hashSecret(secret)), true, 'the secret matches its digest');
    assert.equal(secretMatchesHash(generateSecret(), hashSecret(secret)), false, 'another secret does not');
  });
});
