import type { Kysely } from 'kysely';
import type {
  CodeRedemption,
  NewTokenFamily,
  NewTokens,
  RefreshTokenUse,
  TokenStore,
} from '../core/token-store.js';
import { deserializeClaimsRequest, serializeClaimsRequest, type ClaimsRequest } from '../core/oidc/claims.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { Database } from './schema.js';

export interface NewAuthorizationCode {
  codeHash: string;
  family: NewTokenFamily;
  userId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scopes: string[];
  codeChallenge: string | null;
  nonce: string | null;
  /** The serialized `claims` request parameter, or null. */
  claims: string | null;
  authTime: number;
  expiresAt: number;
}

/** A live access token with what a resource endpoint needs to know about it. */
export interface ActiveAccessToken {
  clientId: string;
  userId: string | null;
  scopes: string[];
  expiresAt: number;
  claims: ClaimsRequest | undefined;
}

/** Token storage over Kysely. Every "use once" is a single conditional UPDATE ... RETURNING. */
export class KyselyTokenStore implements TokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a new code and the family its tokens will belong to, in one transaction. */
  async insertAuthorizationCode(code: NewAuthorizationCode): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('token_families').values(toFamilyRow(code.family)).execute();
      await trx
        .insertInto('authorization_codes')
        .values({
          code_hash: code.codeHash,
          family_id: code.family.id,
          client_id: code.family.clientId,
          user_id: code.userId,
          redirect_uri: code.redirectUri,
          redirect_uri_sent: code.redirectUriSent ? 1 : 0,
          scopes: serializeStringList(code.scopes),
          code_challenge: code.codeChallenge,
          nonce: code.nonce,
          claims: code.claims,
          auth_time: code.authTime,
          created_at: code.family.createdAt,
          expires_at: code.expiresAt,
          consumed_at: null,
        })
        .execute();
    });
  }

  async consumeAuthorizationCode(codeHash: string, now: number): Promise<CodeRedemption> {
    const consumed = await this.db
      .updateTable('authorization_codes')
      .set({ consumed_at: now })
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();

    if (consumed === undefined) {
      const earlier = await this.db
        .selectFrom('authorization_codes')
        .select('family_id')
        .where('code_hash', '=', codeHash)
        .executeTakeFirst();
      return earlier === undefined ? { outcome: 'unknown' } : { outcome: 'replayed', familyId: earlier.family_id };
    }

    const family = await this.db
      .selectFrom('token_families')
      .select('expires_at')
      .where('id', '=', consumed.family_id)
      .executeTakeFirstOrThrow();
    return {
      outcome: 'redeemed',
      code: {
        familyId: consumed.family_id,
        clientId: consumed.client_id,
        userId: consumed.user_id,
        redirectUri: consumed.redirect_uri,
        redirectUriSent: consumed.redirect_uri_sent === 1,
        scopes: parseStringList(consumed.scopes),
        codeChallenge: consumed.code_challenge,
        nonce: consumed.nonce ?? undefined,
        claims: deserializeClaimsRequest(consumed.claims),
        authTime: consumed.auth_time,
        expiresAt: consumed.expires_at,
        familyExpiresAt: family.expires_at,
      },
    };
  }

  async findUsableRefreshTokenScopes(tokenHash: string, clientId: string, now: number): Promise<string[] | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select('scopes')
      .where('token_hash', '=', tokenHash)
      .where('client_id', '=', clientId)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row === undefined ? undefined : parseStringList(row.scopes);
  }

  /**
   * Marks a refresh token used. The family check sits in the same UPDATE, so a request that
   * wins the rotation never fails afterwards because a concurrent loser revoked the family.
   */
  async rotateRefreshToken(tokenHash: string, clientId: string, now: number): Promise<RefreshTokenUse> {
    const used = await this.db
      .updateTable('refresh_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('client_id', '=', clientId)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where('family_id', 'in', (query) =>
        query
          .selectFrom('token_families')
          .select('id')
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now),
      )
      .returningAll()
      .executeTakeFirst();

    if (used === undefined) return this.explainUnusableRefreshToken(tokenHash, clientId, now);

    const family = await this.db
      .selectFrom('token_families')
      .select('expires_at')
      .where('id', '=', used.family_id)
      .executeTakeFirstOrThrow();
    return {
      outcome: 'rotated',
      token: {
        familyId: used.family_id,
        clientId: used.client_id,
        userId: used.user_id,
        scopes: parseStringList(used.scopes),
        expiresAt: used.expires_at,
        familyExpiresAt: family.expires_at,
        authTime: used.auth_time,
        claims: deserializeClaimsRequest(used.claims),
      },
    };
  }

  private async explainUnusableRefreshToken(tokenHash: string, clientId: string, now: number): Promise<RefreshTokenUse> {
    const earlier = await this.db
      .selectFrom('refresh_tokens')
      .innerJoin('token_families', 'token_families.id', 'refresh_tokens.family_id')
      .select([
        'refresh_tokens.family_id as family_id',
        'refresh_tokens.client_id as client_id',
        'refresh_tokens.used_at as used_at',
        'token_families.revoked_at as family_revoked_at',
        'token_families.expires_at as family_expires_at',
      ])
      .where('refresh_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (earlier === undefined) return { outcome: 'invalid', reason: 'unknown refresh token' };
    if (earlier.client_id !== clientId) {
      return { outcome: 'invalid', reason: `refresh token of client '${earlier.client_id}'` };
    }
    if (earlier.used_at !== null) return { outcome: 'reused', familyId: earlier.family_id };
    if (earlier.family_revoked_at !== null) return { outcome: 'invalid', reason: 'token family revoked' };
    if (earlier.family_expires_at <= now) {
      return { outcome: 'invalid', reason: 'token family reached its absolute lifetime' };
    }
    return { outcome: 'invalid', reason: 'refresh token revoked or expired' };
  }

  async revokeFamily(familyId: string, now: number): Promise<void> {
    await this.db
      .updateTable('token_families')
      .set({ revoked_at: now })
      .where('id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async createFamily(family: NewTokenFamily): Promise<void> {
    await this.db.insertInto('token_families').values(toFamilyRow(family)).execute();
  }

  async insertTokens(tokens: NewTokens): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('access_tokens')
        .values({
          token_hash: tokens.access.tokenHash,
          family_id: tokens.familyId,
          client_id: tokens.clientId,
          user_id: tokens.userId,
          scopes: serializeStringList(tokens.access.scopes),
          claims: serializeClaimsRequest(tokens.claims),
          created_at: tokens.now,
          expires_at: tokens.access.expiresAt,
          revoked_at: null,
        })
        .execute();
      if (tokens.refresh !== undefined) {
        await trx
          .insertInto('refresh_tokens')
          .values({
            token_hash: tokens.refresh.tokenHash,
            family_id: tokens.familyId,
            client_id: tokens.clientId,
            user_id: tokens.userId,
            scopes: serializeStringList(tokens.refresh.scopes),
            claims: serializeClaimsRequest(tokens.claims),
            auth_time: tokens.authTime,
            created_at: tokens.now,
            expires_at: tokens.refresh.expiresAt,
            used_at: null,
            revoked_at: null,
          })
          .execute();
      }
    });
  }

  /**
   * Loads an access token that is neither expired nor revoked, whose family is not revoked and
   * whose client is not disabled. A family revocation (code replay, refresh token reuse) takes
   * effect here at once.
   */
  async findActiveAccessToken(tokenHash: string, now: number): Promise<ActiveAccessToken | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .innerJoin('token_families', 'token_families.id', 'access_tokens.family_id')
      .innerJoin('clients', 'clients.id', 'access_tokens.client_id')
      .select([
        'access_tokens.client_id as client_id',
        'access_tokens.user_id as user_id',
        'access_tokens.scopes as scopes',
        'access_tokens.expires_at as expires_at',
        'access_tokens.claims as claims',
      ])
      .where('access_tokens.token_hash', '=', tokenHash)
      .where('access_tokens.revoked_at', 'is', null)
      .where('token_families.revoked_at', 'is', null)
      .where('clients.disabled', '=', 0)
      .where('access_tokens.expires_at', '>', now)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      clientId: row.client_id,
      userId: row.user_id,
      scopes: parseStringList(row.scopes),
      expiresAt: row.expires_at,
      claims: deserializeClaimsRequest(row.claims),
    };
  }
}

function toFamilyRow(family: NewTokenFamily) {
  return {
    id: family.id,
    client_id: family.clientId,
    user_id: family.userId,
    created_at: family.createdAt,
    expires_at: family.expiresAt,
    revoked_at: null,
  };
}
