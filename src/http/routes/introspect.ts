import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  authenticateClient,
  CLIENT_AUTHENTICATION_FAILED,
  extractClientCredentials,
  type PresentedClientCredentials,
  quoteCallerId,
} from '../../core/client-authentication.js';
import { ClientAuthenticationPaused, IntrospectionPaused, InvalidClient, InvalidRequest } from '../../core/errors.js';
import { buildIntrospectionResponse, lookupOrder, type IntrospectionCaller } from '../../core/introspection.js';
import { requireParameter, type Parameters } from '../../core/params.js';
import { RESOURCE_SERVER_ID_PREFIX } from '../../core/resource-indicator.js';
import { hashSecret, secretMatchesHash } from '../../core/secrets.js';
import { findClient } from '../../storage/clients.js';
import { countAttempts, reserveAttempt, type RateLimit } from '../../storage/rate-limits.js';
import { findResourceServer } from '../../storage/resource-servers.js';
import { checkClientAuthenticationAllowed } from '../client-auth-throttle.js';
import { readEndpointForm, recordAuthenticationFailure } from '../client-request.js';
import type { AppContext } from '../context.js';

const MAX_CALLER_ID_LENGTH = 256;

/**
 * Introspections that return active:false, counted per caller in one-minute windows. A resource
 * server mostly introspects tokens its clients really hold, so many misses mean it is probing for
 * valid tokens (RFC 7662 section 4).
 */
function inactiveLimit(context: AppContext): RateLimit {
  return { name: 'introspection-inactive', maxAttempts: context.config.introspectionMaxInactive, windowSeconds: 60 };
}

function callerKeyOf(caller: IntrospectionCaller): string {
  return caller.kind === 'client' ? `client ${caller.clientId}` : `resource ${caller.audience}`;
}

/**
 * Registers the introspection endpoint (RFC 7662). Only a registered resource server or a confidential
 * client may call it (section 4): a resource server learns about access tokens for its own
 * audience, a client about its own tokens, and everything else is `{"active": false}`.
 */
export function registerIntrospectRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/introspect', { config: { errorFormat: 'json' } }, (request, reply) => introspect(context, request, reply));
}

async function introspect(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { parameters, resourceRepeated } = readEndpointForm(request);
  if (resourceRepeated) throw new InvalidRequest("parameter 'resource' must not be repeated");
  const caller = await authenticateCaller(context, request, parameters);
  const token = requireParameter(parameters, 'token');
  const hint = parameters.get('token_type_hint');

  const now = context.clock.now();
  const callerKey = callerKeyOf(caller);
  const misses = await countAttempts(context.db, inactiveLimit(context), callerKey, now);
  if (misses.count >= context.config.introspectionMaxInactive) {
    request.log.warn({ caller }, 'introspection paused after many inactive tokens');
    throw new IntrospectionPaused(Math.max(1, Math.ceil((misses.windowEnd - now) / 1000)));
  }

  const details = await context.tokens.findTokenDetails(hashSecret(token), lookupOrder(hint), now);
  const response = buildIntrospectionResponse(details, caller, context.config.issuer, now);
  if (!response.active) await reserveAttempt(context.db, inactiveLimit(context), callerKey, now);
  request.log.info({ caller, active: response.active }, 'introspection request');
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
}

/**
 * Authenticates a resource server (by its `rs_` id) or a confidential client. Every failed check
 * is the same 401 invalid_client with a Basic challenge, because a protected resource calls this
 * endpoint and needs the challenge to retry (RFC 7662 section 2.3). A caller id with too many
 * recent failures gets 429 without a check.
 */
async function authenticateCaller(
  context: AppContext,
  request: FastifyRequest,
  parameters: Parameters,
): Promise<IntrospectionCaller> {
  let presented: PresentedClientCredentials | undefined;
  try {
    presented = extractClientCredentials(request.headers.authorization, parameters);
    await checkClientAuthenticationAllowed(context, presented.clientId, request.ip);
    return await checkCallerCredentials(context, presented);
  } catch (error) {
    if (error instanceof ClientAuthenticationPaused) {
      request.log.warn({ callerId: presented?.clientId }, 'introspection caller paused after repeated failures');
      throw error;
    }
    if (!(error instanceof InvalidClient)) throw error;
    await recordAuthenticationFailure(context, request, presented?.clientId, error);
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, error.detail);
  }
}

async function checkCallerCredentials(
  context: AppContext,
  presented: PresentedClientCredentials,
): Promise<IntrospectionCaller> {
  const fail = (detail: string): never => {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, detail);
  };
  if (presented.method === 'none') return fail(`${quoteCallerId(presented.clientId)} sent no secret; public clients cannot introspect`);
  if (presented.clientId.length > MAX_CALLER_ID_LENGTH) return fail('caller id too long');

  // A client id is random and may start with the prefix too, so an unknown prefixed id is tried as a client.
  const server = presented.clientId.startsWith(RESOURCE_SERVER_ID_PREFIX)
    ? await findResourceServer(context.db, presented.clientId)
    : undefined;
  if (server !== undefined) {
    if (server.disabled) return fail(`resource server '${server.id}' is disabled`);
    if (!secretMatchesHash(presented.secret ?? '', server.secretHash)) {
      return fail(`wrong secret for resource server '${server.id}'`);
    }
    return { kind: 'resource_server', audience: server.audience };
  }

  const client = authenticateClient(presented, await findClient(context.db, presented.clientId));
  return { kind: 'client', clientId: client.id };
}
