import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GrantType } from '../../core/client.js';
import { UnauthorizedClient, UnsupportedGrantType } from '../../core/errors.js';
import { GRANT_HANDLERS } from '../../core/grants/index.js';
import { requireParameter } from '../../core/params.js';
import { parseResourceParameter, resolveResource } from '../../core/resource-indicator.js';
import { authenticateClientRequest, readEndpointForm } from '../client-request.js';
import type { AppContext } from '../context.js';

/** The token endpoint (RFC 6749 section 3.2): form-encoded POST only, JSON out, never cached. */
export function registerTokenRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/token', { config: { errorFormat: 'json' } }, (request, reply) => token(context, request, reply));
}

async function token(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { parameters, resourceRepeated } = readEndpointForm(request);
  const authenticated = await authenticateClientRequest(context, request, parameters);

  const grantType = requireParameter(parameters, 'grant_type');
  const handler = GRANT_HANDLERS.get(grantType as GrantType);
  if (handler === undefined) throw new UnsupportedGrantType(`grant type '${grantType}' is not supported`);
  if (!authenticated.grantTypes.includes(grantType as GrantType)) {
    throw new UnauthorizedClient(`the client is not allowed to use grant type '${grantType}'`);
  }
  const resource = parseResourceParameter(parameters.get('resource'), resourceRepeated);
  const requestedResource =
    resource === undefined ? undefined : await resolveResource(authenticated, resource, context.resourceServers);

  const response = await handler.handle({
    client: authenticated,
    parameters,
    store: context.tokens,
    devices: context.devices,
    resources: context.resourceServers,
    requestedResource,
    lifetimes: {
      accessTokenSeconds: context.config.accessTokenSeconds,
      refreshTokenSeconds: context.config.refreshTokenSeconds,
      refreshFamilySeconds: context.config.refreshFamilySeconds,
    },
    idTokens: context.idTokens,
    accessTokenSigner: context.accessTokenSigner,
    now: context.clock.now(),
  });
  request.log.info({ clientId: authenticated.id, grantType }, 'tokens issued');
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
}
