import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../../core/client.js';
import { OAuthError } from '../../core/errors.js';
import { checkParameterLengths, collectParameters, entriesOf, type Parameters } from '../../core/params.js';
import { findClient } from '../../storage/clients.js';
import { csrfToken, endSession, isValidCsrfToken, loadSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { renderErrorPage } from '../errors.js';

const CSRF_PURPOSE = 'end-session';

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). A request with a valid
 * id_token_hint for the logged-in user ends the session at once; any other request shows a
 * confirmation page first. post_logout_redirect_uri is used only when it exactly matches one the
 * client registered, and the browser is never sent to an unverified address.
 */
export function registerEndSessionRoutes(app: FastifyInstance, context: AppContext): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => endSessionRequest(context, request, reply);
  app.get('/end-session', { config: { errorFormat: 'page' } }, handler);
  app.post('/end-session', { config: { errorFormat: 'page', allowCrossOriginForm: true } }, handler);
  app.post('/end-session/confirm', { config: { errorFormat: 'page' } }, (request, reply) =>
    confirmEndSession(context, request, reply),
  );
}

interface LogoutRequest {
  client: Client | undefined;
  redirectUri: string | undefined;
  state: string | undefined;
  /** The subject of a valid id_token_hint. */
  hintSubject: string | undefined;
}

class InvalidLogoutRequest extends Error {}

async function endSessionRequest(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parameters = collectParameters(entriesOf(request.method === 'POST' ? request.body : request.query));
  let logout: LogoutRequest;
  try {
    logout = await readLogoutRequest(context, parameters);
  } catch (error) {
    if (!(error instanceof InvalidLogoutRequest)) throw error;
    return rejectLogout(context, request, reply, error.message);
  }

  const current = await loadSession(context, request);
  const verified = logout.hintSubject !== undefined && (current === undefined || current.session.userId === logout.hintSubject);
  if (verified || current === undefined) {
    request.log.info({ clientId: logout.client?.id, userId: current?.session.userId }, 'logout requested by client');
    await endSession(context, request, reply);
    return finishLogout(context, reply, logout);
  }

  return context.views.render(reply, 'end-session', {
    uiLocales: parameters.get('ui_locales'),
    formTargets: logout.redirectUri === undefined ? [] : [logout.redirectUri],
    clientName: logout.client?.name,
    clientId: logout.client?.id,
    postLogoutRedirectUri: logout.redirectUri,
    state: logout.state,
    csrfToken: csrfToken(current.secret, CSRF_PURPOSE),
  });
}

async function confirmEndSession(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = collectParameters(entriesOf(request.body));
  const current = await loadSession(context, request);
  if (current !== undefined && !isValidCsrfToken(current.secret, CSRF_PURPOSE, form.get('csrf_token'))) {
    request.log.info({ userId: current.session.userId }, 'logout confirmation rejected: invalid CSRF token');
    return renderErrorPage(context, reply, {
      status: 403,
      title: 'Sign-out form expired',
      message: 'The sign-out form is no longer valid. Load the page again and retry.',
    });
  }
  let logout: LogoutRequest;
  try {
    // The hidden fields are validated again, exactly as in the original request.
    logout = await readLogoutRequest(context, form);
  } catch (error) {
    if (!(error instanceof InvalidLogoutRequest)) throw error;
    return rejectLogout(context, request, reply, error.message);
  }
  request.log.info({ clientId: logout.client?.id, userId: current?.session.userId }, 'logout confirmed by the user');
  await endSession(context, request, reply);
  return finishLogout(context, reply, logout);
}

/** Validates the parameters of a logout request. Throws InvalidLogoutRequest with the reason. */
async function readLogoutRequest(context: AppContext, parameters: Parameters): Promise<LogoutRequest> {
  try {
    checkParameterLengths(parameters);
  } catch (error) {
    if (error instanceof OAuthError) throw new InvalidLogoutRequest(error.description);
    throw error;
  }
  const clientId = parameters.get('client_id');
  const redirectUri = parameters.get('post_logout_redirect_uri');
  const hint = parameters.get('id_token_hint');

  let hintSubject: string | undefined;
  let hintAudience: string[] = [];
  if (hint !== undefined) {
    const claims = await context.signingKeys.verifyOwnSignature(hint);
    if (claims === undefined || claims.iss !== context.config.issuer || typeof claims.sub !== 'string') {
      throw new InvalidLogoutRequest("'id_token_hint' is not an ID token issued by this server");
    }
    hintSubject = claims.sub;
    hintAudience = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter(
      (audience): audience is string => typeof audience === 'string',
    );
  }
  if (clientId !== undefined && hint !== undefined && !hintAudience.includes(clientId)) {
    throw new InvalidLogoutRequest("'client_id' is not the audience of 'id_token_hint'");
  }

  const effectiveClientId = clientId ?? (hintAudience.length === 1 ? hintAudience[0] : undefined);
  const client = effectiveClientId === undefined || effectiveClientId.length > 256 ? undefined : await findClient(context.db, effectiveClientId);
  if (effectiveClientId !== undefined && (client === undefined || client.disabled)) {
    throw new InvalidLogoutRequest("'client_id' does not name a registered client");
  }
  if (redirectUri !== undefined) {
    if (client === undefined) {
      throw new InvalidLogoutRequest("'post_logout_redirect_uri' needs 'client_id' or 'id_token_hint' to identify the client");
    }
    if (!client.postLogoutRedirectUris.includes(redirectUri)) {
      throw new InvalidLogoutRequest("'post_logout_redirect_uri' is not registered for the client");
    }
  }
  return { client, redirectUri, state: parameters.get('state'), hintSubject };
}

function finishLogout(context: AppContext, reply: FastifyReply, logout: LogoutRequest): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (logout.redirectUri === undefined) return context.views.render(reply, 'signed-out', {});
  const location = new URL(logout.redirectUri);
  if (logout.state !== undefined) location.searchParams.append('state', logout.state);
  return reply.redirect(location.href, 303);
}

function rejectLogout(context: AppContext, request: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply {
  request.log.info({ detail: reason }, 'logout request rejected');
  return renderErrorPage(context, reply, {
    status: 400,
    title: 'Invalid sign-out request',
    message: `The app sent an invalid sign-out request: ${reason}.`,
    code: 'invalid_request',
  });
}
