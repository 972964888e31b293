import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ClientAuthenticationPaused,
  IntrospectionPaused,
  InvalidClient,
  InvalidRequest,
  OAuthError,
  ServerError,
  TemporarilyUnavailable,
  toErrorBody,
} from '../core/errors.js';
import type { RedirectTarget } from '../core/authorization-request.js';
import type { AppContext } from './context.js';

/** Sends an OAuth error as JSON (RFC 6749 section 5.2), never cached. */
export function sendJsonError(reply: FastifyReply, error: OAuthError): FastifyReply {
  // RFC 9110 section 15.5.2: every 401 carries a challenge. Basic is the scheme clients should use.
  if (error.status === 401) reply.header('www-authenticate', 'Basic realm="gatehouse", charset="UTF-8"');
  if (error instanceof ClientAuthenticationPaused || error instanceof IntrospectionPaused) {
    reply.header('retry-after', String(error.retryAfterSeconds));
  }
  return reply
    .status(error.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send(toErrorBody(error));
}

export interface ErrorPage {
  status: number;
  title: string;
  message: string;
  code?: string | undefined;
}

export function renderErrorPage(context: AppContext, reply: FastifyReply, page: ErrorPage): FastifyReply {
  return context.views.render(reply, 'error', { title: page.title, message: page.message, code: page.code }, page.status);
}

/**
 * Sends the browser back to the client's verified redirect URI with an error, the state and the
 * issuer (RFC 6749 section 4.1.2.1, RFC 9207).
 */
export function redirectWithError(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: RedirectTarget,
  error: OAuthError,
): FastifyReply {
  request.log.info({ error: error.code, detail: error.detail ?? error.description }, 'authorization request rejected');
  const parameters: Record<string, string> = { error: error.code, error_description: error.description };
  if (target.state !== undefined) parameters.state = target.state;
  return respondToClient(context, request, reply, target, parameters);
}

/**
 * Delivers an authorization response to the client with `iss` added (RFC 9207): as query
 * parameters on a redirect, or with response_mode=form_post as a form the browser posts to the
 * redirect URI (OAuth 2.0 Form Post Response Mode).
 */
export function respondToClient(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: Pick<RedirectTarget, 'redirectUri' | 'responseMode'> & { uiLocales?: string | undefined },
  parameters: Record<string, string>,
): FastifyReply {
  const fields = { ...parameters, iss: context.config.issuer };
  if (target.responseMode === 'form_post') {
    return context.views.render(reply, 'form-post', {
      // The page's text and button follow the request's ui_locales, like the login and consent pages.
      uiLocales: target.uiLocales,
      formTargets: [target.redirectUri],
      allowScript: true,
      action: target.redirectUri,
      fields: Object.entries(fields).map(([name, value]) => ({ name, value })),
    });
  }
  const location = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(fields)) location.searchParams.append(name, value);
  // RFC 9700 section 4.12: after a POST, 303 makes the browser follow with GET and drop the body.
  const status = request.method === 'POST' ? 303 : 302;
  return reply.header('cache-control', 'no-store').redirect(location.href, status);
}

/** Maps errors that reached Fastify (from parsers, limits or handlers) to a safe response. */
export function installErrorHandlers(app: FastifyInstance, context: AppContext): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (isClientAbort(error, request)) {
      // The client closed the connection while sending the body. No reader is left for the
      // response and the database is fine, so this is neither an outage nor a server fault.
      request.log.info('request aborted by the client');
      return reply.status(400).send();
    }
    const format = request.routeOptions.config?.errorFormat ?? 'page';
    const oauthError = toOAuthError(error);

    if (oauthError.status >= 500) {
      logServerFault(context, request, error, oauthError);
    } else {
      request.log.info({ error: oauthError.code, detail: oauthError.detail ?? oauthError.description }, 'request rejected');
    }

    if (oauthError instanceof TemporarilyUnavailable) reply.header('retry-after', '5');
    if (format === 'json') return sendJsonError(reply, oauthError);
    return renderErrorPage(context, reply, {
      status: oauthError.status,
      title: errorPageTitle(oauthError.status),
      message: oauthError.description,
      code: oauthError.code,
    });
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(app, request.url);
    if (allowed.length > 0) {
      // RFC 9110 section 15.5.6: the path exists, so the method is wrong, and Allow lists the right ones.
      request.log.info({ method: request.method, allowed }, 'method not allowed');
      reply.header('allow', allowed.join(', '));
      const error = new MethodNotAllowed(`method ${request.method} is not allowed here, use ${allowed.join(' or ')}`);
      if (isApiPath(request.url) || request.headers.accept?.includes('application/json')) return sendJsonError(reply, error);
      return renderErrorPage(context, reply, { status: 405, title: 'Invalid request', message: error.description, code: error.code });
    }
    if (request.url.startsWith('/.well-known/') || request.headers.accept?.includes('application/json')) {
      return reply.status(404).send({ error: 'not_found', error_description: 'no such endpoint' });
    }
    return renderErrorPage(context, reply, {
      status: 404,
      title: 'Page not found',
      message: 'There is no page at this address.',
    });
  });
}

/** Paths that programs call. A wrong method there gets JSON, and on the pages it gets an HTML page. */
const API_PATHS = new Set(['/token', '/revoke', '/introspect', '/userinfo', '/device_authorization', '/jwks']);

function isApiPath(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  return API_PATHS.has(path) || path.startsWith('/.well-known/');
}

/** A request to a known path with a method that no route of that path takes. */
class MethodNotAllowed extends InvalidRequest {
  override readonly status = 405;
}

/** Lists the methods Gatehouse routes for the path of `url`, for the Allow header of a 405. */
function allowedMethods(app: FastifyInstance, url: string): string[] {
  const path = url.split('?')[0] ?? url;
  return ['GET', 'HEAD', 'POST'].filter((method) => app.hasRoute({ method: method as 'GET', url: path }));
}

function errorPageTitle(status: number): string {
  if (status === 503) return 'Temporarily unavailable';
  if (status >= 500) return 'Something went wrong';
  return 'Invalid request';
}

function logServerFault(context: AppContext, request: FastifyRequest, error: Error, oauthError: OAuthError): void {
  if (oauthError instanceof TemporarilyUnavailable) {
    if (context.databaseHealth.recordFailure()) request.log.error({ err: error }, 'database unavailable');
    return;
  }
  request.log.error({ err: error }, 'request failed');
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/** True for the error Node raises when the client closes the connection before the body ends. */
function isClientAbort(error: Error, request: FastifyRequest): boolean {
  return (error as { code?: unknown }).code === 'ECONNRESET' && error.message === 'aborted' && request.raw.readableAborted;
}

function toOAuthError(error: Error): OAuthError {
  if (error instanceof OAuthError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) {
    return new TemporarilyUnavailable('the service is temporarily unavailable, try again shortly', error.message);
  }
  if (error.message.includes('Connection terminated') || error.message.includes('timeout exceeded when trying to connect')) {
    return new TemporarilyUnavailable('the service is temporarily unavailable, try again shortly', error.message);
  }
  const statusCode = (error as FastifyError).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new ClientFault(statusCode, describeClientFault(error as FastifyError));
  }
  return new ServerError('the server could not process the request', error.message);
}

/** Faults Fastify detects before a handler runs: bad content type, body too large, bad encoding. */
class ClientFault extends InvalidRequest {
  override readonly status: number;

  constructor(status: number, description: string) {
    super(description);
    // 415 is reported as 400 invalid_request, which every OAuth client understands.
    this.status = status === 415 ? 400 : status;
  }
}

/** The error code of a form body with more fields than Gatehouse reads. */
export const TOO_MANY_FORM_FIELDS = 'GATEHOUSE_TOO_MANY_FORM_FIELDS';

function describeClientFault(error: FastifyError): string {
  switch (error.code) {
    case TOO_MANY_FORM_FIELDS:
      return error.message;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return "the request body must be 'application/x-www-form-urlencoded'";
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'the request body is not valid JSON';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the Content-Length header does not match the body';
    default:
      return 'the request is malformed';
  }
}
