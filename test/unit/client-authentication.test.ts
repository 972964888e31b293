import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authenticateClient,
  CLIENT_AUTHENTICATION_FAILED,
  extractClientCredentials,
  type PresentedClientCredentials,
} from '../../src/core/client-authentication.js';
import { InvalidClient, InvalidRequest } from '../../src/core/errors.js';
import { CONFIDENTIAL_SECRET, confidentialClient, publicClient } from '../support/core-fixtures.js';

function basic(clientId: string, secret: string): string {
  const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

function body(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

/** Asserts that `action` throws invalid_client with the shared description, and returns the error. */
function expectInvalidClient(action: () => unknown, message: string): InvalidClient {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof InvalidClient, `${message}: the error is InvalidClient`);
  assert.equal(thrown.code, 'invalid_client', `${message}: the code is invalid_client`);
  assert.equal(thrown.status, 401, `${message}: the status is 401`);
  assert.equal(thrown.description, CLIENT_AUTHENTICATION_FAILED, `${message}: the description is the shared one`);
  return thrown;
}

describe('extractClientCredentials', () => {
  it('reads HTTP Basic credentials', () => {
    const presented = extractClientCredentials(basic('client-1', 'secret-1'), body({}));
    assert.deepEqual(presented, { clientId: 'client-1', secret: 'secret-1', method: 'client_secret_basic' });
  });

  it('decodes form-urlencoded id and secret', () => {
    const clientId = 'client id:with/odd+chars';
    const secret = 'sécret:with%colon & plus+';
    const presented = extractClientCredentials(basic(clientId, secret), body({}));
    assert.equal(presented.clientId, clientId, 'the client id is decoded');
    assert.equal(presented.secret, secret, 'the secret is decoded');
  });

  it('decodes a plus sign as a space', () => {
    const header = `Basic ${Buffer.from('my+client:my+secret').toString('base64')}`;
    const presented = extractClientCredentials(header, body({}));
    assert.equal(presented.clientId, 'my client', 'the plus in the id is a space');
    assert.equal(presented.secret, 'my secret', 'the plus in the secret is a space');
  });

  it('accepts the scheme in any case', () => {
    const header = basic('client-1', 'secret-1').replace('Basic', 'bASIC');
    assert.equal(extractClientCredentials(header, body({})).method, 'client_secret_basic');
  });

  it('reads client_secret_post credentials', () => {
    const presented = extractClientCredentials(undefined, body({ client_id: 'client-1', client_secret: 'secret-1' }));
    assert.deepEqual(presented, { clientId: 'client-1', secret: 'secret-1', method: 'client_secret_post' });
  });

  it('reads a public client id', () => {
    const presented = extractClientCredentials(undefined, body({ client_id: 'client-1' }));
    assert.deepEqual(presented, { clientId: 'client-1', secret: undefined, method: 'none' });
  });

  it('allows a matching client_id with Basic', () => {
    const presented = extractClientCredentials(basic('client-1', 'secret-1'), body({ client_id: 'client-1' }));
    assert.equal(presented.method, 'client_secret_basic');
  });

  it('rejects Basic plus a body secret', () => {
    assert.throws(
      () => extractClientCredentials(basic('client-1', 'secret-1'), body({ client_secret: 'secret-1' })),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest, 'the error is InvalidRequest');
        assert.equal(error.code, 'invalid_request', 'the code is invalid_request');
        assert.match(error.description, /only one authentication method/, 'the description names the problem');
        return true;
      },
    );
  });

  it('rejects a body client_id differing from Basic', () => {
    assert.throws(
      () => extractClientCredentials(basic('client-1', 'secret-1'), body({ client_id: 'client-2' })),
      InvalidRequest,
      'a second client id is invalid_request',
    );
  });

  it('rejects a request without credentials', () => {
    expectInvalidClient(() => extractClientCredentials(undefined, body({})), 'no credentials');
  });

  const malformed: Array<{ name: string; header: string }> = [
    { name: 'non-Base64 credentials', header: 'Basic not*base64' },
    { name: 'credentials without a colon', header: `Basic ${Buffer.from('client-1').toString('base64')}` },
    { name: 'an empty client id', header: `Basic ${Buffer.from(':secret').toString('base64')}` },
    { name: 'an empty secret', header: `Basic ${Buffer.from('client-1:').toString('base64')}` },
    { name: 'bad percent-encoding', header: `Basic ${Buffer.from('client-1:%zz').toString('base64')}` },
  ];
  for (const { name, header } of malformed) {
    it(`rejects ${name}`, () => {
      expectInvalidClient(() => extractClientCredentials(header, body({})), name);
    });
  }
});

describe('authenticateClient', () => {
  const confidential = confidentialClient();
  const nativeClient = publicClient();

  function presented(overrides: Partial<PresentedClientCredentials>): PresentedClientCredentials {
    return { clientId: confidential.id, secret: CONFIDENTIAL_SECRET, method: 'client_secret_basic', ...overrides };
  }

  it('accepts the right secret by Basic', () => {
    assert.equal(authenticateClient(presented({}), confidential), confidential);
  });

  it('accepts the right secret by post', () => {
    const postClient = { ...confidential, tokenEndpointAuthMethod: 'client_secret_post' as const };
    assert.equal(authenticateClient(presented({ method: 'client_secret_post' }), postClient), postClient);
  });

  it('rejects a method other than the registered one', () => {
    expectInvalidClient(
      () => authenticateClient(presented({ method: 'client_secret_post' }), confidential),
      'the right secret by post for a Basic client',
    );
    const postClient = { ...confidential, tokenEndpointAuthMethod: 'client_secret_post' as const };
    expectInvalidClient(() => authenticateClient(presented({}), postClient), 'the right secret by Basic for a post client');
  });

  it('accepts a public client without secret', () => {
    const result = authenticateClient({ clientId: nativeClient.id, secret: undefined, method: 'none' }, nativeClient);
    assert.equal(result, nativeClient);
  });

  it('describes unknown client and wrong secret alike', () => {
    const unknown = expectInvalidClient(
      () => authenticateClient(presented({ clientId: 'no-such-client' }), undefined),
      'unknown client',
    );
    const wrongSecret = expectInvalidClient(
      () => authenticateClient(presented({ secret: 'wrong-secret' }), confidential),
      'wrong secret',
    );
    assert.equal(unknown.description, wrongSecret.description, 'both descriptions are identical');
    assert.equal(unknown.code, wrongSecret.code, 'both codes are identical');
  });

  it('rejects a public client sending a secret', () => {
    expectInvalidClient(
      () => authenticateClient({ clientId: nativeClient.id, secret: 'anything', method: 'client_secret_post' }, nativeClient),
      'public client by post',
    );
    expectInvalidClient(
      () => authenticateClient({ clientId: nativeClient.id, secret: 'anything', method: 'client_secret_basic' }, nativeClient),
      'public client by Basic',
    );
  });

  it('rejects a confidential client without secret', () => {
    expectInvalidClient(
      () => authenticateClient({ clientId: confidential.id, secret: undefined, method: 'none' }, confidential),
      'confidential client without a secret',
    );
  });

  it('rejects a disabled client', () => {
    expectInvalidClient(() => authenticateClient(presented({}), confidentialClient({ disabled: true })), 'disabled client');
  });

  it('rejects a confidential client without stored hash', () => {
    expectInvalidClient(
      () => authenticateClient(presented({}), confidentialClient({ secretHash: null })),
      'client with no stored secret hash',
    );
  });

  it('keeps the reason out of the description', () => {
    const error = expectInvalidClient(
      () => authenticateClient(presented({ secret: 'wrong-secret' }), confidential),
      'wrong secret',
    );
    assert.doesNotMatch(error.description, /wrong|secret|unknown/, 'the wire description gives no reason');
    assert.match(error.detail ?? '', /wrong secret/, 'the log detail gives the reason');
  });
});
