import { createHash } from 'node:crypto';
import type { SigningAlgorithm } from './algorithms.js';

/**
 * at_hash (OpenID Connect Core section 3.1.3.6): the left half of the hash of the access token,
 * with the hash function of the signing algorithm. Ed25519 signs with SHA-512.
 */
export function computeAtHash(accessToken: string, alg: SigningAlgorithm): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  /** The user's claims: `sub` and what the scopes and claims request release. */
  userClaims: Record<string, unknown>;
  /** When the user last entered a password, in milliseconds since the epoch. */
  authTime: number;
  nonce: string | undefined;
  accessToken: string;
  alg: SigningAlgorithm;
  now: number;
  lifetimeSeconds: number;
}

/**
 * The ID token payload (OpenID Connect Core section 2). aud is the client alone, so azp is not
 * needed. amr is "pwd" because a password is the only way to log in.
 */
export function buildIdTokenClaims(input: IdTokenInput): Record<string, unknown> {
  const issuedAt = Math.floor(input.now / 1000);
  const payload: Record<string, unknown> = {
    ...input.userClaims,
    iss: input.issuer,
    aud: input.clientId,
    iat: issuedAt,
    exp: issuedAt + input.lifetimeSeconds,
    auth_time: Math.floor(input.authTime / 1000),
    amr: ['pwd'],
    at_hash: computeAtHash(input.accessToken, input.alg),
  };
  if (input.nonce !== undefined) payload.nonce = input.nonce;
  return payload;
}
