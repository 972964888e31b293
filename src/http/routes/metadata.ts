import type { FastifyInstance } from 'fastify';
import { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from '../../core/client.js';
import { PROMPT_VALUES, RESPONSE_MODES } from '../../core/authorization-request.js';
import { SIGNING_ALGORITHMS } from '../../core/oidc/algorithms.js';
import { SUPPORTED_CLAIMS } from '../../core/oidc/claims.js';
import { SUPPORTED_CODE_CHALLENGE_METHODS } from '../../core/pkce.js';
import { BUILTIN_SCOPES } from '../../core/scope.js';
import type { AppContext } from '../context.js';
import { SUPPORTED_LOCALES } from '../i18n.js';

/**
 * Builds the authorization server metadata of RFC 8414 section 2 from what Gatehouse implements.
 * The OpenID Connect Discovery document is the same object with the OpenID Provider fields added,
 * so the two never disagree.
 */
export function buildAuthorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    end_session_endpoint: `${issuer}/end-session`,
    response_types_supported: ['code'],
    response_modes_supported: [...RESPONSE_MODES],
    grant_types_supported: [...GRANT_TYPES],
    code_challenge_methods_supported: [...SUPPORTED_CODE_CHALLENGE_METHODS],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    scopes_supported: Object.keys(BUILTIN_SCOPES),
    ui_locales_supported: SUPPORTED_LOCALES,
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    // Token lifecycle: RFC 7009, RFC 7662 and RFC 8628.
    revocation_endpoint: `${issuer}/revoke`,
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    introspection_endpoint: `${issuer}/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    device_authorization_endpoint: `${issuer}/device_authorization`,
  };
}

/** The OpenID Connect Discovery 1.0 document (section 3). */
export function buildOpenIdConfiguration(issuer: string): Record<string, unknown> {
  return {
    ...buildAuthorizationServerMetadata(issuer),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    claims_supported: [...SUPPORTED_CLAIMS, 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'amr'],
    claim_types_supported: ['normal'],
    claims_parameter_supported: true,
    prompt_values_supported: [...PROMPT_VALUES],
  };
}

export function registerMetadataRoutes(app: FastifyInstance, context: AppContext): void {
  const serve = (path: string, document: Record<string, unknown>) => {
    const body = JSON.stringify(document);
    app.get(path, { exposeHeadRoute: true, config: { errorFormat: 'json' } }, (_request, reply) =>
      reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send(body),
    );
  };
  serve('/.well-known/oauth-authorization-server', buildAuthorizationServerMetadata(context.config.issuer));
  serve('/.well-known/openid-configuration', buildOpenIdConfiguration(context.config.issuer));

  app.get('/jwks', { exposeHeadRoute: true, config: { errorFormat: 'json' } }, async (_request, reply) =>
    reply
      .header('content-type', 'application/json; charset=utf-8')
      // Short, so relying parties see a new key soon after a rotation.
      .header('cache-control', 'public, max-age=60')
      .send(await context.signingKeys.publicJwks()),
  );
}
