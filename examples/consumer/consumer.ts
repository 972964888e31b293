import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { describeError, GatehouseClient } from './gatehouse-client.js';
import {
  renderConnectedPage,
  renderDisconnectedPage,
  renderErrorPage,
  renderSignedOutPage,
  STYLESHEET,
  type ErrorPageContent,
} from './pages.js';
import { SessionStore, type ConsumerSession } from './sessions.js';

/**
 * Options of the demo consumer, a small third-party web app. It signs in with OpenID Connect (the
 * authorization code flow with an ID token) and shows the ID token's claims and the userinfo
 * response. Sign out goes through Gatehouse's end_session_endpoint.
 */
export interface ConsumerOptions {
  /** Gatehouse's issuer identifier, such as http://localhost:9000. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** TCP port to listen on. Port 0 picks a free one. */
  port: number;
  host: string;
  /**
   * The consumer's base URL in the browser, without a trailing slash. The redirect URI is this
   * URL followed by /callback, and the post-logout redirect URI this URL followed by /signed-out.
   * Defaults to http://HOST:PORT with the port actually bound.
   */
  url?: string;
  /** A pino logger, such as a child of Gatehouse's. Without one, the consumer does not log. */
  logger?: FastifyBaseLogger;
}

export interface Consumer {
  /** The consumer's base URL, without a trailing slash. */
  url: string;
  redirectUri: string;
  /** The post_logout_redirect_uri the consumer sends to the end_session_endpoint. */
  postLogoutRedirectUri: string;
  close(): Promise<void>;
}

/**
 * Logs each completed request with its path but not its query string, because the query of
 * /callback carries the authorization code.
 */
class PathOnlyLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const entry = {
      method: request.method,
      path: request.url.split('?')[0],
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...entry, error: describeError(error) }, 'request failed');
    else reply.log.info(entry, 'request completed');
  }
}

/** Starts the consumer and resolves once it listens. */
export async function startConsumer(options: ConsumerOptions): Promise<Consumer> {
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    logController: new PathOnlyLogController(),
    bodyLimit: 4096,
  });
  await app.register(cookie);
  await app.register(formbody);

  const gatehouse = new GatehouseClient(options);
  const sessions = new SessionStore();
  const useHttps = options.url?.startsWith('https://') ?? false;
  // The __Host- prefix makes browsers accept the cookie only with Secure, Path=/ and no Domain.
  const cookieName = useHttps ? '__Host-demo_consumer_session' : 'demo_consumer_session';
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: useHttps };
  // Set once the server listens, before the first request can arrive.
  const address = { url: '', redirectUri: '', postLogoutRedirectUri: '' };

  app.addHook('onSend', async (_request, reply) => {
    // The Connect and Sign out forms' submissions are redirected to Gatehouse, so form-action names its origin too.
    reply.header(
      'content-security-policy',
      `default-src 'none'; style-src 'self'; form-action 'self' ${gatehouse.issuerOrigin}; base-uri 'none'; frame-ancestors 'none'`,
    );
    reply.header('x-content-type-options', 'nosniff');
    // The callback URL carries the authorization code, which must not leak through Referer.
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ error: describeError(error) }, 'request failed');
    const title = status >= 500 ? 'Something went wrong' : 'Invalid request';
    return sendPage(reply, status, renderErrorPage({ title, message: 'The request could not be processed.' }));
  });

  app.setNotFoundHandler((_request, reply) =>
    sendPage(reply, 404, renderErrorPage({ title: 'Page not found', message: 'There is no page at this address.' })),
  );

  function readSession(request: FastifyRequest): { id: string; session: ConsumerSession } | undefined {
    const id = request.cookies[cookieName];
    const session = sessions.find(id);
    return id === undefined || session === undefined ? undefined : { id, session };
  }

  /** Replaces the browser's session with a new one under a new id, so an id set earlier never gains a connection. */
  function replaceSession(request: FastifyRequest, reply: FastifyReply, session: Omit<ConsumerSession, 'expiresAt'>): void {
    sessions.delete(request.cookies[cookieName]);
    reply.setCookie(cookieName, sessions.create(session), cookieOptions);
  }

  app.get('/style.css', (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );

  app.get('/', async (request, reply) => {
    const current = readSession(request);
    const connection = current?.session.connection;
    if (current === undefined || connection === undefined) return sendPage(reply, 200, renderDisconnectedPage());

    // Each visit requests userinfo again, so the page shows when the user removed the app in Gatehouse.
    let userinfo;
    try {
      userinfo = await gatehouse.readUserinfo(connection);
    } catch (error) {
      request.log.warn({ error: describeError(error) }, 'userinfo request failed; showing the last known claims');
      return sendPage(reply, 200, renderConnectedPage(connection));
    }
    if (userinfo === undefined) {
      request.log.info('Gatehouse rejected the access token; the connection is gone');
      current.session.connection = undefined;
      return sendPage(
        reply,
        200,
        renderErrorPage({
          title: 'Access removed',
          message:
            'Gatehouse no longer accepts this app\'s access token: the user removed the app on Gatehouse\'s connected apps page, or the token expired. Connect again to continue.',
          code: 'invalid_token',
        }),
      );
    }
    connection.userinfo = userinfo;
    return sendPage(reply, 200, renderConnectedPage(connection));
  });

  app.post('/connect', async (request, reply) => {
    let authorization;
    try {
      authorization = await gatehouse.createAuthorizationRequest(address.redirectUri);
    } catch (error) {
      request.log.error({ issuer: options.issuer, error: describeError(error) }, 'OpenID Provider discovery failed');
      return sendPage(
        reply,
        502,
        renderErrorPage({
          title: 'Gatehouse is not reachable',
          message: `Reading the OpenID Provider configuration of ${options.issuer} failed. Check that Gatehouse is running and try again.`,
        }),
      );
    }
    replaceSession(request, reply, { pending: authorization.pending });
    request.log.info('redirecting the browser to the authorization endpoint');
    return reply.redirect(authorization.url.href, 303);
  });

  app.get('/callback', async (request, reply) => {
    const current = readSession(request);
    const pending = current?.session.pending;
    if (current === undefined || pending === undefined) {
      request.log.info({ hasSession: current !== undefined }, 'callback rejected: no authorization request in progress');
      return sendPage(
        reply,
        400,
        renderErrorPage({
          title: 'No connection in progress',
          message: 'This app has no connection in progress in this browser, or it has finished already. Start again from the start page.',
        }),
      );
    }
    // Each authorization response is accepted once, whatever its outcome.
    current.session.pending = undefined;

    let connection;
    try {
      connection = await gatehouse.completeAuthorization(new URL(request.url, address.url), pending, address.redirectUri);
    } catch (error) {
      const failure = describeFailure(request, error);
      return sendPage(reply, failure.status, renderErrorPage(failure.page));
    }
    replaceSession(request, reply, { connection });
    request.log.info({ sub: connection.idTokenClaims.sub }, 'signed in with OpenID Connect');
    return reply.redirect('/', 303);
  });

  // Ends the session here at once, then sends the browser to Gatehouse to end the session there.
  app.post('/sign-out', async (request, reply) => {
    const connection = readSession(request)?.session.connection;
    if (connection === undefined) {
      request.log.info('sign-out skipped: not signed in');
      return reply.redirect('/', 303);
    }
    let logout;
    try {
      logout = await gatehouse.createLogoutRequest(connection.idToken, address.postLogoutRedirectUri);
    } catch (error) {
      request.log.error({ issuer: options.issuer, error: describeError(error) }, 'building the logout request failed');
      return sendPage(
        reply,
        502,
        renderErrorPage({
          title: 'Sign-out failed',
          message:
            `Reading the OpenID Provider configuration of ${options.issuer} failed, or it has no end_session_endpoint. ` +
            'You are still signed in to this app. Check that Gatehouse is running and try again.',
        }),
      );
    }
    // The new session holds only the logout state, so the connection is gone even if the browser never returns.
    replaceSession(request, reply, { pendingLogout: logout.pending });
    request.log.info({ sub: connection.idTokenClaims.sub }, 'redirecting the browser to the end_session_endpoint');
    return reply.redirect(logout.url.href, 303);
  });

  app.get('/signed-out', (request, reply) => {
    const current = readSession(request);
    const pendingLogout = current?.session.pendingLogout;
    const { state } = request.query as Record<string, unknown>;
    if (current === undefined || pendingLogout === undefined || state !== pendingLogout.state) {
      // Each logout response is accepted once, whatever its outcome.
      if (current !== undefined) current.session.pendingLogout = undefined;
      request.log.info(
        { hasSession: current !== undefined, hasPendingLogout: pendingLogout !== undefined, hasState: typeof state === 'string' },
        'sign-out response rejected: no sign-out in progress or a different state',
      );
      return sendPage(
        reply,
        400,
        renderErrorPage({
          title: 'Sign-out not confirmed',
          message:
            'This address does not complete a sign-out that this app started in this browser. ' +
            'Gatehouse may still have you signed in. Start again from the start page.',
        }),
      );
    }
    sessions.delete(current.id);
    reply.clearCookie(cookieName, cookieOptions);
    request.log.info('signed out of Gatehouse');
    return sendPage(reply, 200, renderSignedOutPage());
  });

  // Forgets the connection in this app only. Gatehouse keeps its session, so the next Connect
  // skips the login page.
  app.post('/disconnect', (request, reply) => {
    sessions.delete(request.cookies[cookieName]);
    reply.clearCookie(cookieName, cookieOptions);
    request.log.info('disconnected');
    return reply.redirect('/', 303);
  });

  await app.listen({ port: options.port, host: options.host });
  const { port } = app.server.address() as AddressInfo;
  address.url = options.url ?? `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  address.redirectUri = `${address.url}/callback`;
  address.postLogoutRedirectUri = `${address.url}/signed-out`;
  return {
    url: address.url,
    redirectUri: address.redirectUri,
    postLogoutRedirectUri: address.postLogoutRedirectUri,
    close: () => app.close(),
  };
}

/** Chooses the page for a failed callback and logs the failure without any token or code. */
function describeFailure(request: FastifyRequest, error: unknown): { status: number; page: ErrorPageContent } {
  if (error instanceof oauth.AuthorizationResponseError) {
    request.log.info({ error: error.error, description: error.error_description }, 'the authorization response is an error');
    if (error.error === 'access_denied') {
      return {
        status: 403,
        page: {
          title: 'Connection denied',
          message: 'The connection was denied on Gatehouse, so this app has no access to your account.',
          code: error.error,
        },
      };
    }
    return { status: 400, page: { title: 'Connection failed', message: 'Gatehouse did not authorize this app.', code: error.error } };
  }
  if (error instanceof oauth.ResponseBodyError) {
    request.log.warn(
      { error: error.error, description: error.error_description, status: error.status },
      'Gatehouse rejected the code exchange',
    );
    return {
      status: 502,
      page: { title: 'Connection failed', message: "Gatehouse rejected this app's request for tokens.", code: error.error },
    };
  }
  request.log.warn({ error: describeError(error) }, 'completing the authorization failed');
  return {
    status: 502,
    page: {
      title: 'Connection failed',
      message: 'The response from Gatehouse was invalid or did not arrive. Start again from the start page.',
    },
  };
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).header('content-type', 'text/html; charset=utf-8').send(html);
}
