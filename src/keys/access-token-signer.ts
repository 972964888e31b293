import type { AccessTokenSigner, JwtAccessTokenClaims } from '../core/token-issuance.js';
import type { SigningKeys } from './signing-keys.js';

/** RFC 9068 section 2.1: the header's typ is `at+jwt`, so an access token cannot pass for an ID token. */
const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Signs JWT access tokens with the server's active ES256 key. */
export class SignedAccessTokenSigner implements AccessTokenSigner {
  constructor(
    private readonly keys: SigningKeys,
    readonly issuer: string,
  ) {}

  sign(claims: JwtAccessTokenClaims): Promise<string> {
    return this.keys.sign({ ...claims }, 'ES256', ACCESS_TOKEN_TYPE);
  }
}
