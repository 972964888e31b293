import { DEVICE_CODE_GRANT_TYPE, type GrantType } from '../client.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { deviceCodeGrant } from './device-code.js';
import type { GrantHandler } from './grant.js';
import { refreshTokenGrant } from './refresh-token.js';

export type { GrantContext, GrantHandler } from './grant.js';

/** The grants the token endpoint dispatches to, keyed by grant_type. */
export const GRANT_HANDLERS: ReadonlyMap<GrantType, GrantHandler> = new Map<GrantType, GrantHandler>([
  ['authorization_code', authorizationCodeGrant],
  ['refresh_token', refreshTokenGrant],
  ['client_credentials', clientCredentialsGrant],
  [DEVICE_CODE_GRANT_TYPE, deviceCodeGrant],
]);
