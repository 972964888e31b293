import { chooseGrantedResource, resolveResource, type ResourceServer } from '../resource-indicator.js';
import type { GrantContext } from './grant.js';

/**
 * The resource server a new access token is for: the one the token request names, or the one
 * the authorization was restricted to. Undefined when neither names one.
 */
export async function resolveTargetResource(
  context: GrantContext,
  granted: string | null,
): Promise<ResourceServer | undefined> {
  const requested = context.requestedResource;
  const chosen = chooseGrantedResource(requested?.audience, granted);
  if (chosen === undefined) return undefined;
  if (requested !== undefined && requested.audience === chosen) return requested;
  return resolveResource(context.client, chosen, context.resources);
}
