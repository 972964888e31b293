import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationRequest } from '../core/authorization-request.js';
import { InvalidTarget, OAuthError } from '../core/errors.js';
import { serializeClaimsRequest } from '../core/oidc/claims.js';
import {
  decideNextStep,
  mayReuseRememberedConsent,
  type AuthenticatedSession,
  type InteractionProgress,
} from '../core/interaction.js';
import { CODE_BYTES, constantTimeEqual, generateId, generateSecret, hashSecret } from '../core/secrets.js';
import { recordAuditEvent } from '../storage/audit-events.js';
import {
  completePendingRequest,
  findPendingRequest,
  insertPendingRequest,
  type PendingAuthorizationRequest,
} from '../storage/authorization-requests.js';
import { findClient } from '../storage/clients.js';
import { findGrantedScopes } from '../storage/grants.js';
import { reserveAttempt } from '../storage/rate-limits.js';
import { ensureBrowserSecret, readBrowserSecret } from './browser.js';
import type { AppContext } from './context.js';
import { redirectWithError, renderErrorPage, respondToClient } from './errors.js';

/** Authorization codes live 60 seconds (RFC 6749 section 4.1.2 recommends at most 10 minutes). */
export const AUTHORIZATION_CODE_SECONDS = 60;
/** How long a user has to log in and consent before the pending request expires. */
export const PENDING_REQUEST_SECONDS = 15 * 60;

/**
 * Moves an authorization request on by one step: to the login page, to the consent page, or
 * back to the client with a code. `pending` is the stored request when there is one already.
 */
export async function advanceAuthorization(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authorization: AuthorizationRequest,
  session: AuthenticatedSession | undefined,
  pending: PendingAuthorizationRequest | undefined,
  progress: InteractionProgress,
): Promise<FastifyReply> {
  const target = {
    redirectUri: authorization.redirectUri,
    state: authorization.state,
    responseMode: authorization.responseMode,
  };
  const grantedScopes = session === undefined ? undefined : await findReusableGrant(context, authorization, session);

  let next;
  try {
    await checkResourceRegistered(context, authorization);
    next = decideNextStep(authorization, session, grantedScopes, progress, context.clock.now());
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (pending !== undefined) await completePendingRequest(context.db, pending.id, context.clock.now());
    return redirectWithError(context, request, reply, target, error);
  }

  if (next.step === 'issue_code') {
    if (pending !== undefined && !(await completePendingRequest(context.db, pending.id, context.clock.now()))) {
      return renderRequestGone(context, reply);
    }
    return issueCodeAndRedirect(context, request, reply, authorization, next.session);
  }

  const pendingId = pending?.id ?? (await storePendingRequest(context, request, reply, authorization));
  const page = next.step === 'login' ? '/login' : '/consent';
  return reply.header('cache-control', 'no-store').redirect(`${page}?request=${encodeURIComponent(pendingId)}`, 303);
}

/**
 * The core checks the resource against the client's list; this checks that a resource server
 * with that audience is registered and enabled (RFC 8707 section 2).
 */
async function checkResourceRegistered(context: AppContext, authorization: AuthorizationRequest): Promise<void> {
  if (authorization.resource === undefined) return;
  const server = await context.resourceServers.findByAudience(authorization.resource);
  if (server === undefined || server.disabled) {
    throw new InvalidTarget(`'resource' ${authorization.resource} does not name a registered resource server`);
  }
}

/** Returns the remembered scopes that may skip the consent page, or undefined when none may. */
async function findReusableGrant(
  context: AppContext,
  authorization: AuthorizationRequest,
  session: AuthenticatedSession,
): Promise<string[] | undefined> {
  const client = await findClient(context.db, authorization.clientId);
  if (client === undefined || !mayReuseRememberedConsent(client, authorization.redirectUri)) return undefined;
  return findGrantedScopes(context.db, session.userId, authorization.clientId);
}

async function storePendingRequest(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authorization: AuthorizationRequest,
): Promise<string> {
  const browserSecret = ensureBrowserSecret(context, request, reply);
  const now = context.clock.now();
  const id = generateId();
  await insertPendingRequest(context.db, {
    id,
    browserHash: hashSecret(browserSecret),
    request: authorization,
    now,
    expiresAt: now + PENDING_REQUEST_SECONDS * 1000,
  });
  return id;
}

/** Issues an authorization code bound to the client, redirect URI, PKCE challenge, user and scopes. */
export async function issueCodeAndRedirect(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  authorization: AuthorizationRequest,
  session: AuthenticatedSession,
): Promise<FastifyReply> {
  const now = context.clock.now();
  const code = generateSecret(CODE_BYTES);
  await context.tokens.insertAuthorizationCode({
    codeHash: hashSecret(code),
    family: {
      id: generateId(),
      clientId: authorization.clientId,
      userId: session.userId,
      createdAt: now,
      expiresAt: now + context.config.refreshFamilySeconds * 1000,
    },
    userId: session.userId,
    redirectUri: authorization.redirectUri,
    redirectUriSent: authorization.redirectUriSent,
    scopes: authorization.scopes,
    codeChallenge: authorization.codeChallenge?.challenge ?? null,
    nonce: authorization.nonce ?? null,
    claims: serializeClaimsRequest(authorization.claims),
    resource: authorization.resource ?? null,
    authTime: session.authTime,
    expiresAt: now + AUTHORIZATION_CODE_SECONDS * 1000,
  });
  request.log.info({ clientId: authorization.clientId, userId: session.userId }, 'authorization code issued');
  if (authorization.codeChallenge !== undefined) {
    await noteRepeatedChallenge(context, request, authorization.clientId, session.userId, authorization.codeChallenge.challenge);
  }

  const parameters: Record<string, string> = { code };
  if (authorization.state !== undefined) parameters.state = authorization.state;
  return respondToClient(context, request, reply, authorization, parameters);
}

/** Codes of one client with the same PKCE challenge within this window are reported. */
const CHALLENGE_REPEAT_WINDOW_SECONDS = 24 * 3600;

/**
 * Logs and audits a PKCE challenge that the client sent before within a day. A client with a
 * constant code verifier loses PKCE's protection against stolen codes (RFC 9700 section
 * 2.1.1). The code is still issued, because a browser that sends the same authorization request
 * twice repeats its challenge legitimately.
 */
async function noteRepeatedChallenge(
  context: AppContext,
  request: FastifyRequest,
  clientId: string,
  userId: string,
  challenge: string,
): Promise<void> {
  const limit = { name: 'pkce-challenge', maxAttempts: 1, windowSeconds: CHALLENGE_REPEAT_WINDOW_SECONDS };
  const now = context.clock.now();
  const seen = await reserveAttempt(context.db, limit, hashSecret(`${clientId} ${challenge}`), now);
  if (seen.allowed) return;
  request.log.warn({ clientId }, 'PKCE code_challenge repeated: the client may use a constant code_verifier');
  await recordAuditEvent(context.db, {
    type: 'pkce_challenge_repeated',
    clientId,
    userId,
    detail: 'the client sent a code_challenge it had sent within the last day',
    now,
  });
}

export type PendingLookup =
  | { found: true; pending: PendingAuthorizationRequest }
  | { found: false; reply: FastifyReply };

/**
 * Loads a pending request for the login and consent pages. It must exist, be unexpired and
 * unfinished, and belong to the browser asking for it.
 */
export async function loadPendingRequest(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string | undefined,
): Promise<PendingLookup> {
  const pending = id === undefined || id.length > 64 ? undefined : await findPendingRequest(context.db, id);
  const browserSecret = readBrowserSecret(context, request);
  const ownedByBrowser =
    pending !== undefined && browserSecret !== undefined && constantTimeEqual(hashSecret(browserSecret), pending.browserHash);
  if (pending === undefined || !ownedByBrowser || pending.completed || pending.expiresAt <= context.clock.now()) {
    request.log.info(
      { requestId: id, exists: pending !== undefined, ownedByBrowser, completed: pending?.completed },
      'pending authorization request not usable',
    );
    return { found: false, reply: renderRequestGone(context, reply) };
  }
  return { found: true, pending };
}

export function renderRequestGone(context: AppContext, reply: FastifyReply): FastifyReply {
  return renderErrorPage(context, reply, {
    status: 400,
    title: 'This request has ended',
    message:
      'This sign-in request has expired, was already completed, or was started in another browser.',
  });
}
