import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, extractClientCredentials } from '../../core/client-authentication.js';
import type { GrantType } from '../../core/client.js';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../../core/errors.js';
import { GRANT_HANDLERS } from '../../core/grants/index.js';
import { collectParameters, entriesOf, requireParameter } from '../../core/params.js';
import { findClient } from '../../storage/clients.js';
import type { AppContext } from '../context.js';

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const MAX_CLIENT_ID_LENGTH = 256;

/** The token endpoint (RFC 6749 section 3.2): form-encoded POST only, JSON out, never cached. */
export function registerTokenRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/token', { config: { errorFormat: 'json' } }, (request, reply) => token(context, request, reply));
}

async function token(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!FORM_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
    throw new InvalidRequest("the request body must be 'application/x-www-form-urlencoded'");
  }
  const parameters = collectParameters(entriesOf(request.body));

  const presented = extractClientCredentials(request.headers.authorization, parameters);
  const client =
    presented.clientId.length > MAX_CLIENT_ID_LENGTH ? undefined : await findClient(context.db, presented.clientId);
  const authenticated = authenticateClient(presented, client);

  const grantType = requireParameter(parameters, 'grant_type');
  const handler = GRANT_HANDLERS.get(grantType as GrantType);
  if (handler === undefined) throw new UnsupportedGrantType(`grant type '${grantType}' is not supported`);
  if (!authenticated.grantTypes.includes(grantType as GrantType)) {
    throw new UnauthorizedClient(`the client is not allowed to use grant type '${grantType}'`);
  }

  const response = await handler.handle({
    client: authenticated,
    parameters,
    store: context.tokens,
    lifetimes: {
      accessTokenSeconds: context.config.accessTokenSeconds,
      refreshTokenSeconds: context.config.refreshTokenSeconds,
      refreshFamilySeconds: context.config.refreshFamilySeconds,
    },
    idTokens: context.idTokens,
    now: context.clock.now(),
  });
  request.log.info({ clientId: authenticated.id, grantType }, 'tokens issued');
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
}
