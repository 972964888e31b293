import { createHash } from 'node:crypto';
import { InvalidGrant, InvalidRequest } from './errors.js';
import { constantTimeEqual } from './secrets.js';

/** RFC 7636 section 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;
/** A BASE64URL(SHA-256(...)) value is always 43 characters without padding. */
const S256_CHALLENGE_PATTERN = /^[A-Za-z0-9\-_]{43}$/;

export const SUPPORTED_CODE_CHALLENGE_METHODS = ['S256'] as const;

export interface CodeChallenge {
  challenge: string;
  method: 'S256';
}

/**
 * Validates the PKCE parameters of an authorization request. Only S256 is accepted: `plain`
 * gives no protection against an attacker who can read the authorization request.
 */
export function checkCodeChallenge(
  challenge: string | undefined,
  method: string | undefined,
  required: boolean,
): CodeChallenge | undefined {
  if (challenge === undefined) {
    if (method !== undefined) {
      throw new InvalidRequest("'code_challenge_method' was sent without 'code_challenge'");
    }
    if (required) throw new InvalidRequest("missing required parameter 'code_challenge'");
    return undefined;
  }
  // RFC 7636 section 4.3 makes "plain" the default when the method is omitted, and plain is rejected.
  if (method !== 'S256') {
    throw new InvalidRequest("'code_challenge_method' must be 'S256'");
  }
  if (!S256_CHALLENGE_PATTERN.test(challenge)) {
    throw new InvalidRequest("'code_challenge' must be the 43-character BASE64URL of a SHA-256 digest");
  }
  return { challenge, method: 'S256' };
}

export function computeS256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Checks a code_verifier against the challenge bound to an authorization code (RFC 7636 section 4.6). */
export function verifyCodeVerifier(verifier: string | undefined, challenge: string | null): void {
  if (challenge === null) {
    if (verifier !== undefined) {
      throw new InvalidGrant("'code_verifier' was sent but the authorization request had no 'code_challenge'");
    }
    return;
  }
  if (verifier === undefined) throw new InvalidGrant("missing required parameter 'code_verifier'");
  if (!VERIFIER_PATTERN.test(verifier)) {
    throw new InvalidGrant("'code_verifier' must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'");
  }
  if (!constantTimeEqual(computeS256Challenge(verifier), challenge)) {
    throw new InvalidGrant("'code_verifier' does not match the 'code_challenge'");
  }
}
