import type { ClaimsRequest } from './oidc/claims.js';

/**
 * The storage operations the grants need. The storage layer implements them with single
 * conditional updates, so two concurrent callers can never both consume one code or one
 * refresh token.
 */
export interface TokenStore {
  consumeAuthorizationCode(codeHash: string, now: number): Promise<CodeRedemption>;
  /**
   * Returns the scopes and resource of a refresh token that is issued to this client, unused,
   * unrevoked and unexpired, without using it up. Returns undefined for any other token.
   */
  findUsableRefreshToken(
    tokenHash: string,
    clientId: string,
    now: number,
  ): Promise<{ scopes: string[]; resource: string | null } | undefined>;
  rotateRefreshToken(tokenHash: string, clientId: string, now: number): Promise<RefreshTokenUse>;
  /**
   * Revokes every token of a family, including ones inserted after this call, and records the
   * revocation with `reason` in the audit log.
   */
  revokeFamily(familyId: string, now: number, reason: string): Promise<void>;
  createFamily(family: NewTokenFamily): Promise<void>;
  insertTokens(tokens: NewTokens): Promise<void>;
}

export interface RedeemedAuthorizationCode {
  familyId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scopes: string[];
  codeChallenge: string | null;
  nonce: string | undefined;
  claims: ClaimsRequest | undefined;
  authTime: number;
  expiresAt: number;
  familyExpiresAt: number;
  resource: string | null;
}

export type CodeRedemption =
  | { outcome: 'redeemed'; code: RedeemedAuthorizationCode }
  /** The code existed and was used before: a replay (RFC 6749 section 4.1.2). */
  | { outcome: 'replayed'; familyId: string }
  /** The code's token family was revoked before the redemption: the authorization was withdrawn. */
  | { outcome: 'withdrawn' }
  | { outcome: 'unknown' };

export interface RotatedRefreshToken {
  familyId: string;
  clientId: string;
  userId: string | null;
  scopes: string[];
  expiresAt: number;
  familyExpiresAt: number;
  authTime: number | null;
  claims: ClaimsRequest | undefined;
  resource: string | null;
}

export type RefreshTokenUse =
  | { outcome: 'rotated'; token: RotatedRefreshToken }
  /** The token was already rotated out: RFC 9700 section 4.14.2 treats this as theft. */
  | { outcome: 'reused'; familyId: string }
  /** Unknown, issued to another client, revoked, expired or in a revoked family. */
  | { outcome: 'invalid'; reason: string };

export interface NewTokenFamily {
  id: string;
  clientId: string;
  userId: string | null;
  createdAt: number;
  /** The absolute end of every refresh token in the family, however often it is rotated. */
  expiresAt: number;
}

export interface NewTokens {
  familyId: string;
  clientId: string;
  userId: string | null;
  now: number;
  authTime: number | null;
  claims: ClaimsRequest | undefined;
  /** Recorded in the audit log: refresh_token is a refresh, anything else an issue. */
  grantType: string;
  access: { tokenHash: string; jti: string; scopes: string[]; expiresAt: number; resource: string | null };
  refresh: { tokenHash: string; scopes: string[]; expiresAt: number; resource: string | null } | undefined;
}
