import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest } from '../../core/errors.js';
import { lookupOrder } from '../../core/introspection.js';
import { requireParameter } from '../../core/params.js';
import { hashSecret } from '../../core/secrets.js';
import { authenticateClientRequest, readEndpointForm } from '../client-request.js';
import type { AppContext } from '../context.js';

/**
 * Registers the revocation endpoint (RFC 7009). The client authenticates as at the token
 * endpoint. The response is 200 with an empty body whether the token was revoked, unknown, or
 * another client's (section 2.2), so it reveals nothing about tokens the client does not own.
 */
export function registerRevokeRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/revoke', { config: { errorFormat: 'json' } }, (request, reply) => revoke(context, request, reply));
}

async function revoke(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { parameters, resourceRepeated } = readEndpointForm(request);
  if (resourceRepeated) throw new InvalidRequest("parameter 'resource' must not be repeated");
  const client = await authenticateClientRequest(context, request, parameters);
  const token = requireParameter(parameters, 'token');
  const hint = parameters.get('token_type_hint');

  const result = await context.tokens.revokeTokenOfClient(hashSecret(token), client.id, lookupOrder(hint), context.clock.now());
  request.log.info({ clientId: client.id, hint, outcome: result.outcome }, 'revocation request');
  return reply.status(200).header('cache-control', 'no-store').header('pragma', 'no-cache').send();
}
