import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InsufficientScope, InvalidRequest, InvalidToken, OAuthError } from '../../core/errors.js';
import { entriesOf, readParameters } from '../../core/params.js';
import { hashSecret } from '../../core/secrets.js';
import { buildUserClaims } from '../../core/oidc/claims.js';
import { authorizeUserinfo, USERINFO_SCOPE } from '../../core/oidc/userinfo.js';
import { findUserById, toUserProfile } from '../../storage/users.js';
import type { AppContext } from '../context.js';

/** RFC 6750 section 2.1: "Bearer" 1*SP b64token, with the scheme matched case-insensitively (RFC 9110 section 11.1). */
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * The userinfo endpoint: `sub` and the claims the token's scopes allow, for tokens with the
 * `openid` scope. Bearer tokens come in the Authorization header or, for POST, the form body
 * (RFC 6750 section 2), never in the query.
 */
export function registerUserinfoRoutes(app: FastifyInstance, context: AppContext): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => userinfo(context, request, reply);
  app.get('/userinfo', { config: { errorFormat: 'json' } }, handler);
  app.post('/userinfo', { config: { errorFormat: 'json' } }, handler);
}

async function userinfo(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  try {
    const token = readBearerToken(request);
    if (token === undefined) {
      // RFC 6750 section 3.1: a request without any authentication gets no error information.
      return reply.status(401).header('www-authenticate', 'Bearer realm="gatehouse"').send();
    }

    const active = await context.tokens.findActiveAccessToken(hashSecret(token), context.clock.now());
    if (active === undefined) throw new InvalidToken('the access token is invalid, expired or revoked');
    const user = await findUserById(context.db, authorizeUserinfo(active));
    if (user === undefined) throw new InvalidToken('the access token belongs to a deleted user');

    return reply.send(buildUserClaims(toUserProfile(user), active.scopes, active.claims?.userinfo ?? []));
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    request.log.info({ error: error.code, detail: error.description }, 'userinfo request rejected');
    let challenge = `Bearer realm="gatehouse", error="${error.code}", error_description="${error.description}"`;
    if (error instanceof InsufficientScope) challenge += `, scope="${USERINFO_SCOPE}"`;
    return reply.status(error.status).header('www-authenticate', challenge).send({
      error: error.code,
      error_description: error.description,
    });
  }
}

/** Reads the bearer token from the header or the form body; sending it in both is invalid_request. */
function readBearerToken(request: FastifyRequest): string | undefined {
  const query = readParameters(entriesOf(request.query)).parameters;
  if (query.has('access_token')) {
    throw new InvalidRequest('access tokens must not be sent in the query string');
  }

  const header = request.headers.authorization;
  let fromHeader: string | undefined;
  if (header !== undefined) {
    const match = BEARER_PATTERN.exec(header);
    if (match === null) {
      if (/^bearer(\s|$)/i.test(header)) {
        throw new InvalidRequest("the Authorization header must hold 'Bearer' and one access token in b64token syntax");
      }
      throw new InvalidRequest("the Authorization header must use the 'Bearer' scheme");
    }
    fromHeader = match[1];
  }

  let fromBody: string | undefined;
  if (request.method === 'POST' && FORM_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
    const body = readParameters(entriesOf(request.body));
    if (body.repeated.includes('access_token')) throw new InvalidRequest("parameter 'access_token' must not be repeated");
    fromBody = body.parameters.get('access_token');
  }

  if (fromHeader !== undefined && fromBody !== undefined) {
    throw new InvalidRequest('the access token must be sent in one place only');
  }
  return fromHeader ?? fromBody;
}
