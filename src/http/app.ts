import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import { answerClientError, answerFrameworkError } from './client-errors.js';
import type { AppContext } from './context.js';
import { installCors } from './cors.js';
import { installErrorHandlers, TOO_MANY_FORM_FIELDS } from './errors.js';
import { installSameOriginFormCheck } from './same-origin-forms.js';
import { registerAuthorizeRoutes } from './routes/authorize.js';
import { registerConnectedAppsRoutes } from './routes/connected-apps.js';
import { registerConsentRoutes } from './routes/consent.js';
import { registerDeviceAuthorizationRoutes } from './routes/device-authorization.js';
import { registerDeviceRoutes } from './routes/device.js';
import { registerEndSessionRoutes } from './routes/end-session.js';
import { registerHomeRoutes } from './routes/home.js';
import { registerIntrospectRoutes } from './routes/introspect.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerLogoutRoutes } from './routes/logout.js';
import { registerMetadataRoutes } from './routes/metadata.js';
import { registerRevokeRoutes } from './routes/revoke.js';
import { registerTokenRoutes } from './routes/token.js';
import { registerUserinfoRoutes } from './routes/userinfo.js';

/** Form bodies of every endpoint are small; 64 KiB leaves room for long scopes and states. */
const BODY_LIMIT_BYTES = 64 * 1024;
/** A bound on the number of form fields, so a body of many tiny fields is cheap to reject. */
const MAX_FORM_FIELDS = 100;

/**
 * Parses a form body, rejecting one with more than MAX_FORM_FIELDS fields as a whole rather than
 * dropping the fields past the limit, which could drop a parameter the request depends on.
 */
function parseFormBody(body: string): ReturnType<typeof parseQueryString> {
  let fields = body.length > 0 ? 1 : 0;
  for (let index = body.indexOf('&'); index >= 0; index = body.indexOf('&', index + 1)) fields += 1;
  if (fields > MAX_FORM_FIELDS) {
    throw Object.assign(new Error(`the form has more than ${MAX_FORM_FIELDS} fields`), {
      statusCode: 400,
      code: TOO_MANY_FORM_FIELDS,
    });
  }
  return parseQueryString(body, '&', '=', { maxKeys: 0 });
}

/**
 * Request logging that leaves out query strings, cookies and the Authorization header, so no
 * token, code or password reaches the logs.
 */
const LOG_SERIALIZERS: FastifyServerOptions['logger'] = {
  serializers: {
    req(request: { method: string; url: string; ip?: string; id?: string }) {
      const path = request.url.split('?')[0];
      return { method: request.method, path, remoteAddress: request.ip, id: request.id };
    },
    res(reply: { statusCode: number }) {
      return { statusCode: reply.statusCode };
    },
  },
};

export interface BuildAppOptions {
  /** A pino logger configuration, or false for none. */
  logger?: FastifyServerOptions['logger'];
}

/** Builds the Fastify application with every route of Gatehouse. Does not listen. */
export async function buildApp(context: AppContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const logger =
    options.logger === false
      ? false
      : { ...(LOG_SERIALIZERS as object), ...(typeof options.logger === 'object' ? options.logger : {}) };
  const app = Fastify({
    logger,
    // request.ip, which the rate limits count by, is the client's address only when the
    // X-Forwarded-For entries of exactly this many trusted proxies are honoured.
    trustProxy: (_address: string, hop: number) => hop < context.config.trustedProxies,
    // A HEAD request must never run a GET handler that issues a code or ends a session, so only
    // the documents without side effects (metadata, JWKS, static assets) opt in to HEAD.
    exposeHeadRoutes: false,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });

  // OAuth and the pages take form bodies only (RFC 6749 section 3.1, OpenID Connect Core section
  // 3.1.2.1), so Fastify's JSON and text parsers are removed: other bodies get 400 before a route runs.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  await app.register(cookie);
  await app.register(formbody, {
    bodyLimit: BODY_LIMIT_BYTES,
    parser: parseFormBody,
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: context.config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });

  await installCors(app, context);
  installErrorHandlers(app, context);
  installSameOriginFormCheck(app, context);
  registerHomeRoutes(app, context);
  registerMetadataRoutes(app, context);
  registerAuthorizeRoutes(app, context);
  registerLoginRoutes(app, context);
  registerConsentRoutes(app, context);
  registerLogoutRoutes(app, context);
  registerEndSessionRoutes(app, context);
  registerTokenRoutes(app, context);
  registerUserinfoRoutes(app, context);
  registerRevokeRoutes(app, context);
  registerIntrospectRoutes(app, context);
  registerDeviceAuthorizationRoutes(app, context);
  registerDeviceRoutes(app, context);
  registerConnectedAppsRoutes(app, context);
  return app;
}
