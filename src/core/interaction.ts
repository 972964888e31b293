import type { AuthorizationRequest } from './authorization-request.js';
import type { Client } from './client.js';
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

const EXPECTED_SUBJECT_MISMATCH = "the logged-in user is not the user named by 'id_token_hint' or 'claims'";

export type NextStep = { step: 'login' } | { step: 'consent' } | { step: 'issue_code'; session: AuthenticatedSession };

/**
 * Decides what an authorization request needs next: a login, the consent page, or a code.
 *
 * A login is needed without a session, for prompt=login or select_account, when the last login
 * is older than max_age, and when the session's user is not the user the client expects; a login
 * during this request satisfies all of these. A remembered authorization that covers every
 * requested scope skips the consent page unless prompt=consent. With prompt=none, any step that
 * needs the user fails with login_required or consent_required instead (OpenID Connect Core
 * section 3.1.2.1).
 */
export function decideNextStep(
  request: AuthorizationRequest,
  session: AuthenticatedSession | undefined,
  grantedScopes: readonly string[] | undefined,
  progress: InteractionProgress,
  now: number,
): NextStep {
  const reason = findLoginReason(request, session, progress, now);
  if (reason !== undefined) {
    if (request.prompt.has('none')) throw new LoginRequired(reason);
    return { step: 'login' };
  }
  if (session === undefined) throw new LoginRequired('the user is not logged in');

  if (request.expectedSubject !== undefined && session.userId !== request.expectedSubject) {
    // The user logged in during this request, but as someone other than the client expected.
    throw new LoginRequired(EXPECTED_SUBJECT_MISMATCH);
  }

  const covered = grantedScopes !== undefined && isCoveredBy(request.scopes, grantedScopes);
  const needsConsent = !progress.consented && (request.prompt.has('consent') || !covered);
  if (needsConsent) {
    if (request.prompt.has('none')) throw new ConsentRequired('the user has not authorized the client for these scopes');
    return { step: 'consent' };
  }

  return { step: 'issue_code', session };
}

/** Returns why the user must log in now, or undefined when the session is good enough. */
function findLoginReason(
  request: AuthorizationRequest,
  session: AuthenticatedSession | undefined,
  progress: InteractionProgress,
  now: number,
): string | undefined {
  if (session === undefined) return 'the user is not logged in';
  if (progress.loggedIn) return undefined;
  if (request.prompt.has('login') || request.prompt.has('select_account')) return 'the client asked for a new login';
  if (request.maxAge !== undefined && now - session.authTime >= request.maxAge * 1000) {
    return "the last login is older than 'max_age'";
  }
  if (request.expectedSubject !== undefined && session.userId !== request.expectedSubject) {
    return EXPECTED_SUBJECT_MISMATCH;
  }
  return undefined;
}

/**
 * Returns whether a remembered authorization may skip the consent page for this client and redirect URI.
 * A public client's identity rests on its redirect URI alone (RFC 8252 section 8.6). An https
 * redirect URI proves the host, but any app on the device can listen on a loopback port or claim
 * a private-use scheme, so those clients see the consent page every time.
 */
export function mayReuseRememberedConsent(client: Pick<Client, 'tokenEndpointAuthMethod'>, redirectUri: string): boolean {
  if (client.tokenEndpointAuthMethod !== 'none') return true;
  return redirectUri.startsWith('https://');
}
