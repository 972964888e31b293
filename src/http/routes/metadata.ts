import type { FastifyInstance } from 'fastify';
import { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from '../../core/client.js';
import { SUPPORTED_CODE_CHALLENGE_METHODS } from '../../core/pkce.js';
import { BUILTIN_SCOPES } from '../../core/scope.js';
import type { AppContext } from '../context.js';

/** Builds the authorization server metadata of RFC 8414 section 2 from what Gatehouse implements. */
export function buildAuthorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES],
    code_challenge_methods_supported: [...SUPPORTED_CODE_CHALLENGE_METHODS],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    scopes_supported: Object.keys(BUILTIN_SCOPES),
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

export function registerMetadataRoutes(app: FastifyInstance, context: AppContext): void {
  const document = JSON.stringify(buildAuthorizationServerMetadata(context.config.issuer));
  app.get('/.well-known/oauth-authorization-server', { config: { errorFormat: 'json' } }, (_request, reply) =>
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(document),
  );
}
