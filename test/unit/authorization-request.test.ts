import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthorizationRequestError,
  MAX_PARAMETER_LENGTH,
  validateAuthorizationRequest,
  type AuthorizationRequest,
} from '../../src/core/authorization-request.js';
import type { Client } from '../../src/core/client.js';
import { readParameters } from '../../src/core/params.js';
import { computeS256Challenge } from '../../src/core/pkce.js';
import { confidentialClient, publicClient } from '../support/core-fixtures.js';

const CHALLENGE = computeS256Challenge('v'.repeat(43));
const CONFIDENTIAL = confidentialClient();
const PUBLIC = publicClient();

/** Returns the entries of a valid request by the confidential client, with overrides (undefined removes a parameter). */
function entriesFor(
  overrides: Record<string, string | undefined> = {},
  extra: Array<[string, string]> = [],
): Array<[string, string]> {
  const base: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CONFIDENTIAL.id,
    redirect_uri: 'https://app.example.com/callback',
    scope: 'profile email',
    state: 'state-123',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(base)) if (value !== undefined) entries.push([name, value]);
  return [...entries, ...extra];
}

function validate(
  entries: Array<[string, string]>,
  client: Client | undefined,
  requirePkceForAllClients = true,
): AuthorizationRequest {
  return validateAuthorizationRequest(readParameters(entries), client, { requirePkceForAllClients });
}

function captureError(action: () => unknown): AuthorizationRequestError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof AuthorizationRequestError, `expected AuthorizationRequestError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to be rejected');
}

describe('validateAuthorizationRequest', () => {
  it('accepts a complete request', () => {
    const request = validate(entriesFor(), CONFIDENTIAL);
    assert.equal(request.clientId, CONFIDENTIAL.id, 'the client id');
    assert.equal(request.redirectUri, 'https://app.example.com/callback', 'the redirect URI');
    assert.equal(request.redirectUriSent, true, 'the redirect URI was sent');
    assert.deepEqual(request.scopes, ['profile', 'email'], 'the scopes');
    assert.equal(request.state, 'state-123', 'the state');
    assert.deepEqual(request.codeChallenge, { challenge: CHALLENGE, method: 'S256' }, 'the PKCE challenge');
    assert.equal(request.prompt.size, 0, 'no prompt');
  });

  it('uses the only registered URI when omitted', () => {
    const request = validate(entriesFor({ redirect_uri: undefined }), CONFIDENTIAL);
    assert.equal(request.redirectUri, 'https://app.example.com/callback', 'the registered URI is used');
    assert.equal(request.redirectUriSent, false, 'the token request need not repeat it');
  });

  it('keeps the requested loopback port', () => {
    const request = validate(entriesFor({ client_id: PUBLIC.id, redirect_uri: 'http://127.0.0.1:49152/callback' }), PUBLIC);
    assert.equal(request.redirectUri, 'http://127.0.0.1:49152/callback', 'the port the app listens on');
  });

  it('allows confidential client without PKCE', () => {
    const request = validate(entriesFor({ code_challenge: undefined, code_challenge_method: undefined }), CONFIDENTIAL, false);
    assert.equal(request.codeChallenge, undefined, 'no challenge is stored');
  });

  it('reads prompt values into a set', () => {
    const request = validate(entriesFor({ prompt: 'login consent' }), CONFIDENTIAL);
    assert.deepEqual([...request.prompt].sort(), ['consent', 'login']);
  });

  describe('untrusted errors', () => {
    const cases: Array<{ name: string; entries: Array<[string, string]>; client: Client | undefined; message: RegExp }> = [
      {
        name: 'missing client_id',
        entries: entriesFor({ client_id: undefined }),
        client: undefined,
        message: /missing required parameter 'client_id'/,
      },
      {
        name: 'empty client_id',
        entries: entriesFor({ client_id: '' }),
        client: undefined,
        message: /missing required parameter 'client_id'/,
      },
      {
        name: 'unknown client_id',
        entries: entriesFor({ client_id: 'no-such-client' }),
        client: undefined,
        message: /does not name a registered client/,
      },
      {
        name: 'disabled client',
        entries: entriesFor(),
        client: confidentialClient({ disabled: true }),
        message: /the client is disabled/,
      },
      {
        name: 'unregistered redirect_uri',
        entries: entriesFor({ redirect_uri: 'https://attacker.example.com/callback' }),
        client: CONFIDENTIAL,
        message: /'redirect_uri' does not match/,
      },
      {
        name: 'redirect_uri with trailing slash',
        entries: entriesFor({ redirect_uri: 'https://app.example.com/callback/' }),
        client: CONFIDENTIAL,
        message: /'redirect_uri' does not match/,
      },
      {
        name: 'ambiguous omitted redirect_uri',
        entries: entriesFor({ redirect_uri: undefined }),
        client: confidentialClient({ redirectUris: ['https://app.example.com/callback', 'https://app.example.com/other'] }),
        message: /missing required parameter 'redirect_uri'/,
      },
      {
        name: 'omitted redirect_uri in an OpenID Connect request',
        entries: entriesFor({ redirect_uri: undefined, scope: 'openid profile' }),
        client: CONFIDENTIAL,
        message: /missing required parameter 'redirect_uri'/,
      },
      {
        name: 'repeated client_id',
        entries: entriesFor({}, [['client_id', CONFIDENTIAL.id]]),
        client: CONFIDENTIAL,
        message: /'client_id' must not be repeated/,
      },
      {
        name: 'repeated redirect_uri',
        entries: entriesFor({}, [['redirect_uri', 'https://app.example.com/callback']]),
        client: CONFIDENTIAL,
        message: /'redirect_uri' must not be repeated/,
      },
      {
        name: 'redirect_uri repeated among others',
        entries: entriesFor({}, [
          ['scope', 'profile'],
          ['redirect_uri', 'https://app.example.com/callback'],
        ]),
        client: CONFIDENTIAL,
        message: /'redirect_uri' must not be repeated/,
      },
    ];
    for (const { name, entries, client, message } of cases) {
      it(`treats ${name} as untrusted`, () => {
        const error = captureError(() => validate(entries, client));
        assert.equal(error.target, undefined, `${name}: no redirect target`);
        assert.equal(error.error.redirectable, false, `${name}: the error is not redirectable`);
        assert.equal(error.error.code, 'invalid_request', `${name}: the code is invalid_request`);
        assert.match(error.error.description, message, `${name}: the description`);
      });
    }
  });

  describe('redirected errors', () => {
    const cases: Array<{
      name: string;
      entries: Array<[string, string]>;
      client?: Client;
      requirePkce?: boolean;
      code: string;
      message: RegExp;
    }> = [
      {
        name: 'repeated scope',
        entries: entriesFor({}, [['scope', 'profile']]),
        code: 'invalid_request',
        message: /'scope' must not be repeated/,
      },
      {
        name: 'repeated code_challenge',
        entries: entriesFor({}, [['code_challenge', CHALLENGE]]),
        code: 'invalid_request',
        message: /'code_challenge' must not be repeated/,
      },
      {
        name: 'missing response_type',
        entries: entriesFor({ response_type: undefined }),
        code: 'invalid_request',
        message: /missing required parameter 'response_type'/,
      },
      {
        name: 'response_type token',
        entries: entriesFor({ response_type: 'token' }),
        code: 'unsupported_response_type',
        message: /'response_type' must be 'code'/,
      },
      {
        name: 'response_type code id_token',
        entries: entriesFor({ response_type: 'code id_token' }),
        code: 'unsupported_response_type',
        message: /'response_type' must be 'code'/,
      },
      {
        name: 'client without code grant',
        entries: entriesFor(),
        client: confidentialClient({ grantTypes: ['client_credentials'] }),
        code: 'unauthorized_client',
        message: /authorization code grant/,
      },
      {
        name: 'missing scope',
        entries: entriesFor({ scope: undefined }),
        code: 'invalid_scope',
        message: /missing required parameter 'scope'/,
      },
      {
        name: 'disallowed scope',
        entries: entriesFor({ scope: 'profile admin' }),
        code: 'invalid_scope',
        message: /'admin'/,
      },
      {
        name: 'malformed scope',
        entries: entriesFor({ scope: 'profile  email' }),
        code: 'invalid_scope',
        message: /single spaces/,
      },
      {
        name: 'public client without PKCE',
        entries: entriesFor({ client_id: PUBLIC.id, redirect_uri: 'http://127.0.0.1/callback', code_challenge: undefined, code_challenge_method: undefined }),
        client: PUBLIC,
        requirePkce: false,
        code: 'invalid_request',
        message: /missing required parameter 'code_challenge'/,
      },
      {
        name: 'confidential client without PKCE',
        entries: entriesFor({ code_challenge: undefined, code_challenge_method: undefined }),
        code: 'invalid_request',
        message: /missing required parameter 'code_challenge'/,
      },
      {
        name: 'PKCE-bound client without PKCE',
        entries: entriesFor({ code_challenge: undefined, code_challenge_method: undefined }),
        client: confidentialClient({ requirePkce: true }),
        requirePkce: false,
        code: 'invalid_request',
        message: /missing required parameter 'code_challenge'/,
      },
      {
        name: 'plain PKCE method',
        entries: entriesFor({ code_challenge: 'v'.repeat(43), code_challenge_method: 'plain' }),
        code: 'invalid_request',
        message: /'code_challenge_method' must be 'S256'/,
      },
      {
        name: 'prompt none with login',
        entries: entriesFor({ prompt: 'none login' }),
        code: 'invalid_request',
        message: /'prompt=none' must not be combined/,
      },
      {
        name: 'prompt none with consent',
        entries: entriesFor({ prompt: 'consent none' }),
        code: 'invalid_request',
        message: /'prompt=none' must not be combined/,
      },
      {
        name: 'unknown prompt value',
        entries: entriesFor({ prompt: 'create' }),
        code: 'invalid_request',
        message: /'create' is not supported/,
      },
      {
        name: 'response_mode fragment',
        entries: entriesFor({ response_mode: 'fragment' }),
        code: 'invalid_request',
        message: /'response_mode' must be one of 'query', 'form_post'/,
      },
      {
        name: 'request object',
        entries: entriesFor({ request: 'eyJhbGciOiJub25lIn0.e30.' }),
        code: 'request_not_supported',
        message: /'request' parameter is not supported/,
      },
      {
        name: 'request_uri',
        entries: entriesFor({ request_uri: 'urn:example:request' }),
        code: 'request_uri_not_supported',
        message: /'request_uri' parameter is not supported/,
      },
      {
        name: 'overlong parameter',
        entries: entriesFor({ nonce: 'n'.repeat(MAX_PARAMETER_LENGTH + 1) }),
        code: 'invalid_request',
        message: /'nonce' must not be longer/,
      },
    ];
    for (const { name, entries, client, requirePkce, code, message } of cases) {
      it(`redirects ${name}`, () => {
        const error = captureError(() => validate(entries, client ?? CONFIDENTIAL, requirePkce ?? true));
        assert.ok(error.target !== undefined, `${name}: the error has a redirect target`);
        assert.equal(error.error.redirectable, true, `${name}: the error is redirectable`);
        assert.equal(error.error.code, code, `${name}: the code`);
        assert.match(error.error.description, message, `${name}: the description`);
        assert.equal(error.target.state, 'state-123', `${name}: the state goes back to the client`);
      });
    }

    it('targets the requested redirect URI', () => {
      const error = captureError(() =>
        validate(entriesFor({ client_id: PUBLIC.id, redirect_uri: 'http://127.0.0.1:50000/callback', response_type: 'token' }), PUBLIC),
      );
      assert.equal(error.target?.redirectUri, 'http://127.0.0.1:50000/callback');
    });

    it('drops a repeated state', () => {
      const error = captureError(() => validate(entriesFor({}, [['state', 'second']]), CONFIDENTIAL));
      assert.equal(error.error.code, 'invalid_request', 'a repeated state is invalid_request');
      assert.ok(error.target !== undefined, 'the error is redirected');
      assert.equal(error.target.state, undefined, 'neither state value is sent back');
    });
  });
});
