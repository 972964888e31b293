import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationRequest, Prompt } from '../../src/core/authorization-request.js';
import { ConsentRequired, LoginRequired } from '../../src/core/errors.js';
import { decideNextStep, type AuthenticatedSession, type InteractionProgress } from '../../src/core/interaction.js';

const SESSION: AuthenticatedSession = { userId: 'user-1', authTime: 1_700_000_000_000 };
const FRESH: InteractionProgress = { loggedIn: false, consented: false };

function request(scopes: string[], prompt: Prompt[] = []): AuthorizationRequest {
  return {
    clientId: 'client-1',
    redirectUri: 'https://app.example.com/callback',
    redirectUriSent: true,
    scopes,
    state: 'state-1',
    codeChallenge: undefined,
    prompt: new Set(prompt),
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
      const next = decideNextStep(authorization, session, granted, progress);
      assert.equal(next.step, step, `${name}: the next step`);
      if (next.step === 'issue_code') assert.equal(next.session, session, 'the code is issued for the session');
    });
  }

  it('gives login_required for prompt=none without session', () => {
    assert.throws(
      () => decideNextStep(request(['profile'], ['none']), undefined, undefined, FRESH),
      (error: unknown) => {
        assert.ok(error instanceof LoginRequired, 'the error is LoginRequired');
        assert.equal(error.code, 'login_required', 'the code is login_required');
        return true;
      },
    );
  });

  it('gives consent_required for prompt=none without authorization', () => {
    assert.throws(
      () => decideNextStep(request(['profile'], ['none']), SESSION, undefined, FRESH),
      (error: unknown) => {
        assert.ok(error instanceof ConsentRequired, 'the error is ConsentRequired');
        assert.equal(error.code, 'consent_required', 'the code is consent_required');
        return true;
      },
    );
  });

  it('gives consent_required for prompt=none with wider scope', () => {
    assert.throws(
      () => decideNextStep(request(['profile', 'email'], ['none']), SESSION, ['profile'], FRESH),
      ConsentRequired,
      'a scope beyond the remembered ones needs the user',
    );
  });
});
