import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { InvalidGrant } from '../core/errors.js';
import { buildUserClaims } from '../core/oidc/claims.js';
import { buildIdTokenClaims } from '../core/oidc/id-token.js';
import type { IdTokenIssuer, IdTokenRequest } from '../core/token-issuance.js';
import { findClient } from '../storage/clients.js';
import type { Database } from '../storage/schema.js';
import { findUserById, toUserProfile } from '../storage/users.js';
import type { SigningKeys } from './signing-keys.js';

/** Signs ID tokens with the algorithm each client registered, using the server's keys. */
export class SignedIdTokenIssuer implements IdTokenIssuer {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly lifetimeSeconds: number,
  ) {}

  async issue(request: IdTokenRequest): Promise<string> {
    const [user, client] = await Promise.all([findUserById(this.db, request.userId), findClient(this.db, request.clientId)]);
    if (user === undefined) throw new InvalidGrant('the user of this grant no longer exists');
    if (client === undefined) throw new InvalidGrant('the client of this grant no longer exists');

    const alg = client.idTokenSignedResponseAlg;
    const payload = buildIdTokenClaims({
      issuer: this.issuer,
      clientId: client.id,
      userClaims: buildUserClaims(toUserProfile(user), request.scopes, request.claims?.idToken ?? [], false),
      authTime: request.authTime,
      nonce: request.nonce,
      accessToken: request.accessToken,
      alg,
      now: this.clock.now(),
      lifetimeSeconds: this.lifetimeSeconds,
    });
    return this.keys.sign(payload, alg);
  }
}
