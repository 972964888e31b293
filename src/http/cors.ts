import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';

/**
 * Endpoints a browser app on another origin may call: the token, userinfo and revocation
 * endpoints, discovery and the JWKS. The authorization endpoint and the pages never send CORS
 * headers, because a browser reaches them by navigation, not by script.
 */
const CORS_PATHS = new Set([
  '/token',
  '/userinfo',
  '/revoke',
  '/jwks',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
]);

/**
 * Answers CORS requests from the origins in GATEHOUSE_CORS_ORIGINS, on the endpoints above only.
 * With no origins configured, no response carries CORS headers.
 */
export async function installCors(app: FastifyInstance, context: AppContext): Promise<void> {
  const allowed = new Set(context.config.corsOrigins);
  if (allowed.size === 0) return;
  await app.register(cors, {
    delegator: (request: FastifyRequest, callback) => {
      const path = request.url.split('?')[0] ?? '';
      const origin = request.headers.origin;
      const permitted = CORS_PATHS.has(path) && origin !== undefined && allowed.has(origin);
      callback(null, {
        origin: permitted ? origin : false,
        methods: ['GET', 'POST'],
        allowedHeaders: ['authorization', 'content-type'],
        // Browser apps need the Bearer challenge of userinfo and the wait of a 429.
        exposedHeaders: ['www-authenticate', 'retry-after'],
        // Credentials stay off: these endpoints authenticate with tokens and client secrets, not cookies.
        credentials: false,
        maxAge: 600,
      });
    },
  });
}
