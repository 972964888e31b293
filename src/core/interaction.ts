import type { AuthorizationRequest } from './authorization-request.js';
import { ConsentRequired, LoginRequired } from './errors.js';
import { isCoveredBy } from './scope.js';

export interface AuthenticatedSession {
  userId: string;
  /** When the user last entered their password, in milliseconds since the epoch. */
  authTime: number;
}

export interface InteractionProgress {
  /** The user logged in during this authorization request, which satisfies prompt=login. */
  loggedIn: boolean;
  /** The user allowed the request on the consent page during this authorization request. */
  consented: boolean;
}

export type NextStep = { step: 'login' } | { step: 'consent' } | { step: 'issue_code'; session: AuthenticatedSession };

/**
 * Decides what an authorization request needs next: a login, the consent page, or a code.
 *
 * A remembered authorization that covers every requested scope skips the consent page unless
 * prompt=consent. With prompt=none, any step that needs the user fails with login_required or
 * consent_required instead (OpenID Connect Core section 3.1.2.1).
 */
export function decideNextStep(
  request: AuthorizationRequest,
  session: AuthenticatedSession | undefined,
  grantedScopes: readonly string[] | undefined,
  progress: InteractionProgress,
): NextStep {
  const needsLogin = session === undefined || (request.prompt.has('login') && !progress.loggedIn);
  if (needsLogin) {
    if (request.prompt.has('none')) throw new LoginRequired('the user is not logged in');
    return { step: 'login' };
  }

  const covered = grantedScopes !== undefined && isCoveredBy(request.scopes, grantedScopes);
  const needsConsent = !progress.consented && (request.prompt.has('consent') || !covered);
  if (needsConsent) {
    if (request.prompt.has('none')) throw new ConsentRequired('the user has not authorized the client for these scopes');
    return { step: 'consent' };
  }

  return { step: 'issue_code', session };
}
