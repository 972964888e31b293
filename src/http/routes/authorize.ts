import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AuthorizationRequestError,
  MAX_PARAMETER_LENGTH,
  validateAuthorizationRequest,
} from '../../core/authorization-request.js';
import { entriesOf, readParameters } from '../../core/params.js';
import { findClient } from '../../storage/clients.js';
import { advanceAuthorization } from '../authorization-flow.js';
import { loadSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { redirectWithError, renderErrorPage } from '../errors.js';

/** The authorization endpoint (RFC 6749 section 3.1), by GET with a query or POST with a form body. */
export function registerAuthorizeRoutes(app: FastifyInstance, context: AppContext): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => authorize(context, request, reply);
  app.get('/authorize', { config: { errorFormat: 'page' } }, handler);
  app.post('/authorize', { config: { errorFormat: 'page' } }, handler);
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

  const current = await loadSession(context, request);
  return advanceAuthorization(context, request, reply, authorization, current?.session, undefined, {
    loggedIn: false,
    consented: false,
  });
}
