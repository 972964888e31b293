import type { FastifyRequest } from 'fastify';
import {
  authenticateClient,
  extractClientCredentials,
  type PresentedClientCredentials,
} from '../core/client-authentication.js';
import type { Client } from '../core/client.js';
import { ClientAuthenticationPaused, InvalidClient, InvalidRequest, UnauthorizedClient } from '../core/errors.js';
import {
  checkParameterLengths,
  entriesOf,
  readParameters,
  repeatedParametersError,
  type Parameters,
} from '../core/params.js';
import { RESOURCE_SERVER_ID_PREFIX } from '../core/resource-indicator.js';
import { findClient } from '../storage/clients.js';
import { findResourceServer } from '../storage/resource-servers.js';
import { recordAuditEvent } from '../storage/audit-events.js';
import {
  checkClientAuthenticationAllowed,
  countClientAuthenticationFailure,
  reserveFailureAuditRow,
} from './client-auth-throttle.js';
import type { AppContext } from './context.js';

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const MAX_CLIENT_ID_LENGTH = 256;

/** A form body read for an endpoint that accepts the `resource` parameter of RFC 8707. */
export interface EndpointForm {
  parameters: Parameters;
  /** RFC 8707 allows repeating `resource`; the caller rejects it with invalid_target instead of invalid_request. */
  resourceRepeated: boolean;
}

/** Reads a form-encoded POST body, rejecting other content types and repeated parameters. */
export function readEndpointForm(request: FastifyRequest): EndpointForm {
  if (!FORM_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
    throw new InvalidRequest("the request body must be 'application/x-www-form-urlencoded'");
  }
  const { parameters, repeated } = readParameters(entriesOf(request.body));
  const others = repeated.filter((name) => name !== 'resource');
  if (others.length > 0) throw repeatedParametersError(others);
  checkParameterLengths(parameters);
  return { parameters, resourceRepeated: repeated.includes('resource') };
}

/**
 * Authenticates the client of a request to the token, revocation or device authorization
 * endpoint (RFC 6749 section 2.3). A failure is recorded in the audit log, counted against the
 * client_id and rethrown. A client_id with too many recent failures is rejected unchecked.
 */
export async function authenticateClientRequest(
  context: AppContext,
  request: FastifyRequest,
  parameters: Parameters,
): Promise<Client> {
  let presented: PresentedClientCredentials | undefined;
  try {
    presented = extractClientCredentials(request.headers.authorization, parameters);
    if (await isResourceServerId(context, presented.clientId)) {
      // Not a failed guess: the caller is a resource server at an endpoint meant for clients. Its
      // secret is not checked here, so neither this response nor a count against its id reveals it.
      request.log.info({ callerId: presented.clientId }, 'resource server at a client endpoint');
      throw new UnauthorizedClient('resource servers may only call the introspection endpoint');
    }
    await checkClientAuthenticationAllowed(context, presented.clientId, request.ip);
    const client =
      presented.clientId.length > MAX_CLIENT_ID_LENGTH ? undefined : await findClient(context.db, presented.clientId);
    return authenticateClient(presented, client);
  } catch (error) {
    if (error instanceof ClientAuthenticationPaused) {
      request.log.warn({ clientId: presented?.clientId }, 'client authentication paused after repeated failures');
    } else if (error instanceof InvalidClient) {
      await recordAuthenticationFailure(context, request, presented?.clientId, error);
    }
    throw error;
  }
}

/**
 * True when the id names a registered resource server. A client id created before client ids
 * avoided the resource server prefix may carry it too, so the prefix alone does not decide.
 */
async function isResourceServerId(context: AppContext, id: string): Promise<boolean> {
  if (!id.startsWith(RESOURCE_SERVER_ID_PREFIX) || id.length > MAX_CLIENT_ID_LENGTH) return false;
  return (await findResourceServer(context.db, id)) !== undefined;
}

/**
 * Records a failed client or resource server authentication, with the presented id but never the
 * secret, and counts it towards the failure limit of that id.
 */
export async function recordAuthenticationFailure(
  context: AppContext,
  request: FastifyRequest,
  presentedId: string | undefined,
  error: InvalidClient,
): Promise<void> {
  if (presentedId !== undefined) await countClientAuthenticationFailure(context, presentedId, request.ip);
  // Past the address's budget, failures are still logged but no longer stored.
  if (!(await reserveFailureAuditRow(context, request.ip))) return;
  await recordAuditEvent(context.db, {
    type: 'client_authentication_failed',
    clientId: presentedId ?? null,
    userId: null,
    detail: error.detail ?? null,
    now: context.clock.now(),
  });
}
