import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationRequest, Prompt } from '../../src/core/authorization-request.js';
import { ConsentRequired, LoginRequired } from '../../src/core/errors.js';
import { decideNextStep, type AuthenticatedSession, type InteractionProgress } from '../../src/core/interaction.js';

const SESSION: AuthenticatedSession = { userId: 'user-1', authTime: 1_700_000_000_000 };
const FRESH: InteractionProgress = { loggedIn: false, consented: false };
/** One hour after the session's login. */
const NOW = SESSION.authTime + 3600 * 1000;

function request(
  scopes: string[],
  prompt: Prompt[] = [],
  extra: Partial<AuthorizationRequest> = {},
): AuthorizationRequest {
  return {
    clientId: 'client-1',
    redirectUri: 'https://app.example.com/callback',
    redirectUriSent: true,
    scopes,
    state: 'state-1',
    codeChallenge: undefined,
    prompt: new Set(prompt),
    responseMode: 'query',
    nonce: undefined,
    maxAge: undefined,
    claims: undefined,
    loginHint: undefined,
    uiLocales: undefined,
    idTokenHint: undefined,
    expectedSubject: undefined,
    resource: undefined,
    ...extra,
  };
}

describe('decideNextStep', () => {
  const cases: Array<{
    name: string;
    request: AuthorizationRequest;
    session: AuthenticatedSession | undefined;
    granted: string[] | undefined;
    progress: InteractionProgress;
    step: 'login' | 'consent' | 'issue_code';
  }> = [
    { name: 'no session needs login', request: request(['profile']), session: undefined, granted: undefined, progress: FRESH, step: 'login' },
    {
      name: 'no remembered authorization needs consent',
      request: request(['profile']),
      session: SESSION,
      granted: undefined,
      progress: FRESH,
      step: 'consent',
    },
    {
      name: 'remembered scopes skip consent',
      request: request(['profile']),
      session: SESSION,
      granted: ['profile', 'email'],
      progress: FRESH,
      step: 'issue_code',
    },
    {
      name: 'a wider scope needs consent',
      request: request(['profile', 'email']),
      session: SESSION,
      granted: ['profile'],
      progress: FRESH,
      step: 'consent',
    },
    {
      name: 'prompt=login forces login',
      request: request(['profile'], ['login']),
      session: SESSION,
      granted: ['profile'],
      progress: FRESH,
      step: 'login',
    },
    {
      name: 'prompt=login is met by this login',
      request: request(['profile'], ['login']),
      session: SESSION,
      granted: ['profile'],
      progress: { loggedIn: true, consented: false },
      step: 'issue_code',
    },
    {
      name: 'prompt=consent forces consent',
      request: request(['profile'], ['consent']),
      session: SESSION,
      granted: ['profile'],
      progress: FRESH,
      step: 'consent',
    },
    {
      name: 'prompt=consent is met by this consent',
      request: request(['profile'], ['consent']),
      session: SESSION,
      granted: ['profile'],
      progress: { loggedIn: false, consented: true },
      step: 'issue_code',
    },
    {
      name: 'this consent covers a wider scope',
      request: request(['profile', 'email']),
      session: SESSION,
      granted: ['profile'],
      progress: { loggedIn: true, consented: true },
      step: 'issue_code',
    },
    {
      name: 'prompt=none with remembered scopes issues a code',
      request: request(['profile'], ['none']),
      session: SESSION,
      granted: ['profile'],
      progress: FRESH,
      step: 'issue_code',
    },
  ];
  for (const { name, request: authorization, session, granted, progress, step } of cases) {
    it(name, () => {
      const next = decideNextStep(authorization, session, granted, progress, NOW);
      assert.equal(next.step, step, `${name}: the next step`);
      if (next.step === 'issue_code') assert.equal(next.session, session, 'the code is issued for the session');
    });
  }

  it('gives login_required for prompt=none without session', () => {
    assert.throws(
      () => decideNextStep(request(['profile'], ['none']), undefined, undefined, FRESH, NOW),
      (error: unknown) => {
        assert.ok(error instanceof LoginRequired, 'the error is LoginRequired');
        assert.equal(error.code, 'login_required', 'the code is login_required');
        return true;
      },
    );
  });

  it('gives consent_required for prompt=none without authorization', () => {
    assert.throws(
      () => decideNextStep(request(['profile'], ['none']), SESSION, undefined, FRESH, NOW),
      (error: unknown) => {
        assert.ok(error instanceof ConsentRequired, 'the error is ConsentRequired');
        assert.equal(error.code, 'consent_required', 'the code is consent_required');
        return true;
      },
    );
  });

  it('gives consent_required for prompt=none with wider scope', () => {
    assert.throws(
      () => decideNextStep(request(['profile', 'email'], ['none']), SESSION, ['profile'], FRESH, NOW),
      ConsentRequired,
      'a scope beyond the remembered ones needs the user',
    );
  });

  it('requires login when max_age has passed', () => {
    const next = decideNextStep(request(['profile'], [], { maxAge: 60 }), SESSION, ['profile'], FRESH, NOW);
    assert.equal(next.step, 'login', 'a login one hour ago is older than max_age=60');
  });

  it('skips login within max_age', () => {
    const next = decideNextStep(request(['profile'], [], { maxAge: 7200 }), SESSION, ['profile'], FRESH, NOW);
    assert.equal(next.step, 'issue_code', 'a login one hour ago is within max_age=7200');
  });

  it('accepts max_age=0 after a fresh login', () => {
    const progress = { loggedIn: true, consented: false };
    const next = decideNextStep(request(['profile'], [], { maxAge: 0 }), SESSION, ['profile'], progress, NOW);
    assert.equal(next.step, 'issue_code', 'the login during this request satisfies max_age=0');
  });

  it('requires login for another id_token_hint subject', () => {
    const hinted = request(['profile'], [], { expectedSubject: 'user-2' });
    assert.equal(decideNextStep(hinted, SESSION, ['profile'], FRESH, NOW).step, 'login', 'the session belongs to user-1');
    assert.throws(
      () => decideNextStep(hinted, SESSION, ['profile'], { loggedIn: true, consented: false }, NOW),
      LoginRequired,
      'logging in as user-1 again does not satisfy a hint for user-2',
    );
  });

  it('treats select_account like prompt=login', () => {
    const next = decideNextStep(request(['profile'], ['select_account']), SESSION, ['profile'], FRESH, NOW);
    assert.equal(next.step, 'login', 'select_account shows the login page');
  });
});
