import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AuthorizationRequestError,
  MAX_PARAMETER_LENGTH,
  validateAuthorizationRequest,
} from '../../core/authorization-request.js';
import { InvalidRequest } from '../../core/errors.js';
import { entriesOf, readParameters } from '../../core/params.js';
import { findClient } from '../../storage/clients.js';
import { advanceAuthorization } from '../authorization-flow.js';
import { loadSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { redirectWithError, renderErrorPage } from '../errors.js';

/**
 * The authorization endpoint (RFC 6749 section 3.1), by GET with a query or POST with a form body.
 * Every other method gets 405. Fastify would otherwise answer HEAD with the GET handler, which
 * issues a code for a logged-in user and sends it in the Location header.
 */
export function registerAuthorizeRoutes(app: FastifyInstance, context: AppContext): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => authorize(context, request, reply);
  app.get('/authorize', { exposeHeadRoute: false, config: { errorFormat: 'page' } }, handler);
  app.post('/authorize', { config: { errorFormat: 'page', allowCrossOriginForm: true } }, handler);
  app.route({
    method: ['HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/authorize',
    config: { errorFormat: 'page' },
    handler: (_request, reply) =>
      renderErrorPage(context, reply.header('allow', 'GET, POST'), {
        status: 405,
        title: 'Method not allowed',
        message: 'The authorization endpoint accepts only GET and POST requests.',
      }),
  });
}

async function authorize(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const read = readParameters(entriesOf(request.method === 'POST' ? request.body : request.query));
  const clientId = read.parameters.get('client_id');
  const client =
    clientId === undefined || clientId.length > MAX_PARAMETER_LENGTH ? undefined : await findClient(context.db, clientId);

  let authorization;
  try {
    authorization = validateAuthorizationRequest(read, client, { requirePkceForAllClients: context.config.requirePkce });
  } catch (error) {
    if (!(error instanceof AuthorizationRequestError)) throw error;
    if (error.target !== undefined) return redirectWithError(context, request, reply, error.target, error.error);
    request.log.info({ error: error.error.code, detail: error.error.description }, 'untrusted authorization request');
    return renderErrorPage(context, reply, {
      status: 400,
      title: 'Invalid authorization request',
      message: `The app sent an invalid request, so Gatehouse cannot send you back to it: ${error.error.description}.`,
      code: error.error.code,
    });
  }

  if (authorization.idTokenHint !== undefined) {
    const subject = await verifyIdTokenHint(context, authorization.idTokenHint, authorization.clientId);
    if (subject === undefined) {
      const target = { redirectUri: authorization.redirectUri, state: authorization.state, responseMode: authorization.responseMode };
      return redirectWithError(context, request, reply, target, new InvalidRequest("'id_token_hint' is not a valid ID token issued to this client"));
    }
    if (authorization.expectedSubject !== undefined && authorization.expectedSubject !== subject) {
      const target = { redirectUri: authorization.redirectUri, state: authorization.state, responseMode: authorization.responseMode };
      return redirectWithError(context, request, reply, target, new InvalidRequest("'claims' and 'id_token_hint' name different users"));
    }
    authorization = { ...authorization, idTokenHint: undefined, expectedSubject: subject };
  }

  const current = await loadSession(context, request);
  return advanceAuthorization(context, request, reply, authorization, current?.session, undefined, {
    loggedIn: false,
    consented: false,
  });
}

/**
 * Verifies an id_token_hint: Gatehouse's own signature (expiry does not matter, OpenID Connect
 * Core section 3.1.2.1), this issuer, and the client among the audience. Returns its subject.
 */
export async function verifyIdTokenHint(context: AppContext, hint: string, clientId: string): Promise<string | undefined> {
  const claims = await context.signingKeys.verifyOwnSignature(hint);
  if (claims === undefined || claims.iss !== context.config.issuer || typeof claims.sub !== 'string') return undefined;
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return audience.includes(clientId) ? claims.sub : undefined;
}
