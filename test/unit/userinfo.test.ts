import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InsufficientScope, InvalidToken } from '../../src/core/errors.js';
import { authorizeUserinfo } from '../../src/core/oidc/userinfo.js';

describe('userinfo access', () => {
  it('returns the user of an openid token', () => {
    assert.equal(authorizeUserinfo({ userId: 'user-1', scopes: ['openid', 'profile'], resource: null }), 'user-1');
  });

  it('rejects a token without openid', () => {
    assert.throws(() => authorizeUserinfo({ userId: 'user-1', scopes: ['profile', 'email'], resource: null }), InsufficientScope);
  });

  it('rejects a token without a user', () => {
    assert.throws(() => authorizeUserinfo({ userId: null, scopes: ['openid'], resource: null }), InvalidToken);
  });

  it('rejects a token for another resource', () => {
    assert.throws(
      () => authorizeUserinfo({ userId: 'user-1', scopes: ['openid'], resource: 'https://api.example.com' }),
      InvalidToken,
    );
  });
});
