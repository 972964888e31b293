import type { Kysely } from 'kysely';
import type {
  CodeRedemption,
  NewTokenFamily,
  NewTokens,
  RefreshTokenUse,
  TokenStore,
} from '../core/token-store.js';
import type { TokenDetails, TokenKind } from '../core/introspection.js';
import { deserializeClaimsRequest, serializeClaimsRequest, type ClaimsRequest } from '../core/oidc/claims.js';
import { recordAuditEvent } from './audit-events.js';
import { parseStringList, serializeStringList } from './json-columns.js';
import type { Database } from './schema.js';
import { findFamilyState } from './token-families.js';

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
  resource: string | null;
}

/** A live access token with what a resource endpoint needs to know about it. */
export interface ActiveAccessToken {
  clientId: string;
  userId: string | null;
  scopes: string[];
  expiresAt: number;
  claims: ClaimsRequest | undefined;
  /** The resource the token is restricted to; null for Gatehouse's own endpoints. */
  resource: string | null;
}

/** What a revocation request did; the endpoint returns 200 in every case (RFC 7009 section 2.2). */
export type RevocationOutcome =
  | { outcome: 'revoked'; kind: TokenKind }
  | { outcome: 'not_found' }
  | { outcome: 'other_client'; ownerClientId: string };

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
          resource: code.resource,
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

    const family = await findFamilyState(this.db, consumed.family_id);
    // The user removed the app, or an administrator disabled the user, after the code was issued.
    if (family.revokedAt !== null || family.userDisabled) return { outcome: 'withdrawn' };
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
        familyExpiresAt: family.expiresAt,
        resource: consumed.resource,
      },
    };
  }

  async findUsableRefreshToken(
    tokenHash: string,
    clientId: string,
    now: number,
  ): Promise<{ scopes: string[]; resource: string | null } | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select(['scopes', 'resource'])
      .where('token_hash', '=', tokenHash)
      .where('client_id', '=', clientId)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row === undefined ? undefined : { scopes: parseStringList(row.scopes), resource: row.resource };
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
      // A correlated EXISTS reads one family by its key. SQLite ran the former
      // `family_id IN (SELECT id FROM token_families ...)` by collecting every live family first,
      // so each refresh took longer the more families were stored.
      .where((expression) =>
        expression.exists(
          expression
            .selectFrom('token_families')
            .select('token_families.id')
            .whereRef('token_families.id', '=', 'refresh_tokens.family_id')
            .where('token_families.revoked_at', 'is', null)
            .where('token_families.expires_at', '>', now),
        ),
      )
      .returningAll()
      .executeTakeFirst();

    if (used === undefined) return this.explainUnusableRefreshToken(tokenHash, clientId, now);

    const family = await findFamilyState(this.db, used.family_id);
    if (family.userDisabled) return { outcome: 'invalid', reason: 'the user account is disabled' };
    return {
      outcome: 'rotated',
      token: {
        familyId: used.family_id,
        clientId: used.client_id,
        userId: used.user_id,
        scopes: parseStringList(used.scopes),
        expiresAt: used.expires_at,
        familyExpiresAt: family.expiresAt,
        authTime: used.auth_time,
        claims: deserializeClaimsRequest(used.claims),
        resource: used.resource,
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

  async revokeFamily(familyId: string, now: number, reason: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const revoked = await trx
        .updateTable('token_families')
        .set({ revoked_at: now })
        .where('id', '=', familyId)
        .where('revoked_at', 'is', null)
        .returning(['client_id', 'user_id'])
        .executeTakeFirst();
      if (revoked === undefined) return;
      await recordAuditEvent(trx, {
        type: 'token_revoked',
        clientId: revoked.client_id,
        userId: revoked.user_id,
        detail: reason,
        now,
      });
    });
  }

  /**
   * Revokes a token on behalf of the client it was issued to (RFC 7009 section 2.1). An access
   * token is revoked alone; a refresh token takes its whole family along, so the access tokens
   * issued with it stop working too. Another client's token is left untouched.
   */
  async revokeTokenOfClient(
    tokenHash: string,
    clientId: string,
    order: readonly TokenKind[],
    now: number,
  ): Promise<RevocationOutcome> {
    for (const kind of order) {
      const table = kind === 'access_token' ? 'access_tokens' : 'refresh_tokens';
      const row = await this.db
        .selectFrom(table)
        .select(['family_id', 'client_id', 'user_id'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (row === undefined) continue;
      if (row.client_id !== clientId) return { outcome: 'other_client', ownerClientId: row.client_id };

      if (kind === 'refresh_token') {
        await this.revokeFamily(row.family_id, now, 'refresh token revoked by the client');
        return { outcome: 'revoked', kind };
      }
      await this.db.transaction().execute(async (trx) => {
        const revoked = await trx
          .updateTable('access_tokens')
          .set({ revoked_at: now })
          .where('token_hash', '=', tokenHash)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (revoked.numUpdatedRows === 0n) return;
        await recordAuditEvent(trx, {
          type: 'token_revoked',
          clientId,
          userId: row.user_id,
          detail: 'access token revoked by the client',
          now,
        });
      });
      return { outcome: 'revoked', kind };
    }
    return { outcome: 'not_found' };
  }

  /**
   * Loads what introspection needs about a token, trying the kinds in `order`. Returns
   * undefined for an unknown token.
   */
  async findTokenDetails(tokenHash: string, order: readonly TokenKind[], now: number): Promise<TokenDetails | undefined> {
    for (const kind of order) {
      const details = kind === 'access_token' ? await this.findAccessTokenDetails(tokenHash) : await this.findRefreshTokenDetails(tokenHash, now);
      if (details !== undefined) return details;
    }
    return undefined;
  }

  private async findAccessTokenDetails(tokenHash: string): Promise<TokenDetails | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .innerJoin('token_families', 'token_families.id', 'access_tokens.family_id')
      .innerJoin('clients', 'clients.id', 'access_tokens.client_id')
      .leftJoin('users', 'users.id', 'access_tokens.user_id')
      .select([
        'access_tokens.client_id as client_id',
        'access_tokens.user_id as user_id',
        'users.username as username',
        'access_tokens.scopes as scopes',
        'access_tokens.resource as resource',
        'access_tokens.jti as jti',
        'access_tokens.created_at as created_at',
        'access_tokens.expires_at as expires_at',
        'access_tokens.revoked_at as revoked_at',
        'token_families.revoked_at as family_revoked_at',
        'clients.disabled as client_disabled',
        'users.disabled_at as user_disabled_at',
      ])
      .where('access_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      kind: 'access_token',
      clientId: row.client_id,
      userId: row.user_id,
      username: row.username ?? null,
      scopes: parseStringList(row.scopes),
      resource: row.resource,
      jti: row.jti,
      issuedAt: row.created_at,
      expiresAt: row.expires_at,
      usable:
        row.revoked_at === null &&
        row.family_revoked_at === null &&
        row.client_disabled === 0 &&
        row.user_disabled_at === null,
    };
  }

  private async findRefreshTokenDetails(tokenHash: string, now: number): Promise<TokenDetails | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .innerJoin('token_families', 'token_families.id', 'refresh_tokens.family_id')
      .innerJoin('clients', 'clients.id', 'refresh_tokens.client_id')
      .leftJoin('users', 'users.id', 'refresh_tokens.user_id')
      .select([
        'refresh_tokens.client_id as client_id',
        'refresh_tokens.user_id as user_id',
        'users.username as username',
        'refresh_tokens.scopes as scopes',
        'refresh_tokens.resource as resource',
        'refresh_tokens.created_at as created_at',
        'refresh_tokens.expires_at as expires_at',
        'refresh_tokens.used_at as used_at',
        'refresh_tokens.revoked_at as revoked_at',
        'token_families.revoked_at as family_revoked_at',
        'token_families.expires_at as family_expires_at',
        'clients.disabled as client_disabled',
        'users.disabled_at as user_disabled_at',
      ])
      .where('refresh_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      kind: 'refresh_token',
      clientId: row.client_id,
      userId: row.user_id,
      username: row.username ?? null,
      scopes: parseStringList(row.scopes),
      resource: row.resource,
      jti: null,
      issuedAt: row.created_at,
      expiresAt: row.expires_at,
      usable:
        row.used_at === null &&
        row.revoked_at === null &&
        row.family_revoked_at === null &&
        row.family_expires_at > now &&
        row.client_disabled === 0 &&
        row.user_disabled_at === null,
    };
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
          resource: tokens.access.resource,
          jti: tokens.access.jti,
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
            resource: tokens.refresh.resource,
            auth_time: tokens.authTime,
            created_at: tokens.now,
            expires_at: tokens.refresh.expiresAt,
            used_at: null,
            revoked_at: null,
          })
          .execute();
      }
      if (tokens.userId !== null) {
        await trx
          .updateTable('grants')
          .set({ last_used_at: tokens.now })
          .where('user_id', '=', tokens.userId)
          .where('client_id', '=', tokens.clientId)
          .execute();
      }
      await recordAuditEvent(trx, {
        type: tokens.grantType === 'refresh_token' ? 'token_refreshed' : 'token_issued',
        clientId: tokens.clientId,
        userId: tokens.userId,
        detail: tokens.grantType,
        now: tokens.now,
      });
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
      .leftJoin('users', 'users.id', 'access_tokens.user_id')
      .select([
        'access_tokens.client_id as client_id',
        'access_tokens.user_id as user_id',
        'access_tokens.scopes as scopes',
        'access_tokens.expires_at as expires_at',
        'access_tokens.claims as claims',
        'access_tokens.resource as resource',
      ])
      .where('access_tokens.token_hash', '=', tokenHash)
      .where('access_tokens.revoked_at', 'is', null)
      .where('token_families.revoked_at', 'is', null)
      .where('clients.disabled', '=', 0)
      // Tokens without a user (client credentials) have no users row, which also passes.
      .where('users.disabled_at', 'is', null)
      .where('access_tokens.expires_at', '>', now)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      clientId: row.client_id,
      userId: row.user_id,
      scopes: parseStringList(row.scopes),
      expiresAt: row.expires_at,
      claims: deserializeClaimsRequest(row.claims),
      resource: row.resource,
    };
  }

  /** Revokes every token family of a client, for `client disable` and `client delete`. Returns how many. */
  async revokeClientFamilies(clientId: string, now: number, reason: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('token_families')
        .set({ revoked_at: now })
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const count = Number(result.numUpdatedRows);
      if (count > 0) {
        await recordAuditEvent(trx, {
          type: 'token_revoked',
          clientId,
          userId: null,
          detail: `${reason}: ${count} token families`,
          now,
        });
      }
      return count;
    });
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
