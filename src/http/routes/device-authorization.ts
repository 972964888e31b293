import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_CODE_GRANT_TYPE } from '../../core/client.js';
import {
  DEVICE_CODE_SECONDS,
  DEVICE_POLLING_INTERVAL_SECONDS,
  formatUserCode,
  generateUserCode,
} from '../../core/device-authorization.js';
import { InvalidScope, UnauthorizedClient } from '../../core/errors.js';
import { parseResourceParameter, resolveResource } from '../../core/resource-indicator.js';
import { checkScopesAllowed, parseScope } from '../../core/scope.js';
import { generateSecret, hashSecret } from '../../core/secrets.js';
import { insertDeviceAuthorization } from '../../storage/device-authorizations.js';
import { authenticateClientRequest, readEndpointForm } from '../client-request.js';
import type { AppContext } from '../context.js';

/** A fresh user code collides with a live one about once in billions; a few draws always suffice. */
const MAX_USER_CODE_DRAWS = 5;

/**
 * Registers the device authorization endpoint (RFC 8628 section 3.1). The client authenticates as at the
 * token endpoint; a public client sends its client_id alone. The device code is stored as a
 * hash, and the user code as a hash of its normalized form.
 */
export function registerDeviceAuthorizationRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/device_authorization', { config: { errorFormat: 'json' } }, (request, reply) =>
    authorizeDevice(context, request, reply),
  );
}

async function authorizeDevice(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { parameters, resourceRepeated } = readEndpointForm(request);
  const client = await authenticateClientRequest(context, request, parameters);
  if (!client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)) {
    throw new UnauthorizedClient('the client is not allowed to use the device authorization grant');
  }
  const scope = parameters.get('scope');
  // As at the authorization endpoint, a missing scope fails instead of getting a default.
  if (scope === undefined) throw new InvalidScope("missing required parameter 'scope'");
  const scopes = parseScope(scope);
  checkScopesAllowed(scopes, client.allowedScopes);
  const resource = parseResourceParameter(parameters.get('resource'), resourceRepeated);
  if (resource !== undefined) await resolveResource(client, resource, context.resourceServers);

  const now = context.clock.now();
  const deviceCode = generateSecret();
  const userCode = await storeWithFreshUserCode(context, {
    deviceCodeHash: hashSecret(deviceCode),
    clientId: client.id,
    scopes,
    resource: resource ?? null,
    intervalSeconds: DEVICE_POLLING_INTERVAL_SECONDS,
    now,
    expiresAt: now + DEVICE_CODE_SECONDS * 1000,
  });
  request.log.info({ clientId: client.id }, 'device authorization started');

  const shownUserCode = formatUserCode(userCode);
  const verificationUri = `${context.config.issuer}/device`;
  return reply
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({
      device_code: deviceCode,
      user_code: shownUserCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(shownUserCode)}`,
      expires_in: DEVICE_CODE_SECONDS,
      interval: DEVICE_POLLING_INTERVAL_SECONDS,
    });
}

/** Stores the device authorization under a user code no live authorization uses; returns that code. */
async function storeWithFreshUserCode(
  context: AppContext,
  device: Omit<Parameters<typeof insertDeviceAuthorization>[1], 'userCodeHash'>,
): Promise<string> {
  for (let draw = 0; draw < MAX_USER_CODE_DRAWS; draw += 1) {
    const userCode = generateUserCode();
    if (await insertDeviceAuthorization(context.db, { ...device, userCodeHash: hashSecret(userCode) })) return userCode;
  }
  throw new Error(`no free user code after ${MAX_USER_CODE_DRAWS} draws`);
}
