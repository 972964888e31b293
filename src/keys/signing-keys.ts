import {
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  SignJWT,
  type JWTPayload,
} from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { isSigningAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../core/oidc/algorithms.js';
import type { Database } from '../storage/schema.js';
import {
  findActiveKey,
  findKeyByKid,
  insertActiveKeyIfMissing,
  listPublishedKeys,
  replaceActiveKey,
  type NewSigningKey,
  type SigningKeyRow,
} from '../storage/signing-keys.js';

/** How long a process signs with a cached active key before it reads the database again. */
const ACTIVE_KEY_CACHE_MS = 30_000;
/** The form of every kid Gatehouse assigns: a base64url JWK thumbprint (RFC 7638). */
const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Public JWK members by key type; anything else (d, p, q, ...) is private and never served. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
  OKP: ['kty', 'crv', 'x'],
};

interface CachedKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  loadedAt: number;
}

/**
 * The server's signing keys. Keys live in the database, so every process signs with the same
 * keys and publishes the same JWKS. Each process caches the active private key briefly; a
 * rotated-out key stays published, so tokens signed from a stale cache still verify.
 */
export class SigningKeys {
  private readonly cache = new Map<SigningAlgorithm, CachedKey>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Creates an active key for each algorithm that has none. Safe to run from many processes. */
  async ensureActiveKeys(algorithms: readonly SigningAlgorithm[] = SIGNING_ALGORITHMS): Promise<void> {
    for (const alg of algorithms) {
      if ((await findActiveKey(this.db, alg)) !== undefined) continue;
      await insertActiveKeyIfMissing(this.db, await generateSigningKey(alg, this.clock.now()));
    }
  }

  /** Signs a JWT with the active key of `alg`, setting alg, kid and typ in the header. */
  async sign(payload: JWTPayload, alg: SigningAlgorithm, typ = 'JWT'): Promise<string> {
    const key = await this.activeKey(alg);
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(key.privateKey);
  }

  private async activeKey(alg: SigningAlgorithm): Promise<CachedKey> {
    const now = this.clock.now();
    const cached = this.cache.get(alg);
    if (cached !== undefined && now - cached.loadedAt < ACTIVE_KEY_CACHE_MS && now >= cached.loadedAt) return cached;

    let row = await findActiveKey(this.db, alg);
    if (row === undefined) {
      await this.ensureActiveKeys([alg]);
      row = await findActiveKey(this.db, alg);
    }
    if (row === undefined) throw new Error(`no active signing key for ${alg}`);
    const privateKey = (await importJWK(JSON.parse(row.private_jwk) as JWK, alg)) as CryptoKey;
    const loaded: CachedKey = { kid: row.kid, alg, privateKey, loadedAt: now };
    this.cache.set(alg, loaded);
    return loaded;
  }

  /** The JSON Web Key Set: public members, kid, alg and use of every published key. */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    const rows = await listPublishedKeys(this.db, this.clock.now());
    return { keys: rows.map(toPublicJwk) };
  }

  /**
   * Verifies the signature of a JWT that Gatehouse issued, with any published key. Expiry is not
   * checked: an id_token_hint may be an expired ID token (OpenID Connect Core section 3.1.2.1).
   * Returns the payload, or undefined when the token is malformed or the signature is invalid.
   */
  async verifyOwnSignature(jwt: string): Promise<JWTPayload | undefined> {
    let kid: unknown;
    let alg: unknown;
    try {
      ({ kid, alg } = decodeProtectedHeader(jwt));
    } catch {
      return undefined;
    }
    // The header is the caller's JSON: kid may be any value. Gatehouse's kids are JWK thumbprints.
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) return undefined;
    if (typeof alg !== 'string' || !isSigningAlgorithm(alg)) return undefined;
    const row = await findKeyByKid(this.db, kid);
    if (row === undefined || row.alg !== alg) return undefined;
    if (row.unpublish_at !== null && row.unpublish_at <= this.clock.now()) return undefined;
    try {
      const publicKey = await importJWK(JSON.parse(row.public_jwk) as JWK, alg);
      const { payload } = await compactVerify(jwt, publicKey, { algorithms: [alg] });
      const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
      return typeof claims === 'object' && claims !== null ? (claims as JWTPayload) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Makes a new key active for `alg`. The old key stays in the JWKS for `retentionSeconds`, which
   * must cover the longest lifetime of a token it signed.
   */
  async rotate(alg: SigningAlgorithm, retentionSeconds: number): Promise<string> {
    const now = this.clock.now();
    const replacement = await generateSigningKey(alg, now);
    await replaceActiveKey(this.db, replacement, now + retentionSeconds * 1000 + ACTIVE_KEY_CACHE_MS);
    this.cache.delete(alg);
    return replacement.kid;
  }
}

async function generateSigningKey(alg: SigningAlgorithm, now: number): Promise<NewSigningKey> {
  const options = alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true, modulusLength: 2048 };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, publicJwk: JSON.stringify(publicJwk), privateJwk: JSON.stringify(privateJwk), now };
}

function toPublicJwk(row: SigningKeyRow): JWK {
  const stored = JSON.parse(row.public_jwk) as Record<string, unknown>;
  const members = PUBLIC_MEMBERS[String(stored.kty)] ?? [];
  const jwk: Record<string, unknown> = {};
  for (const member of members) jwk[member] = stored[member];
  return { ...jwk, kid: row.kid, alg: row.alg, use: 'sig' } as JWK;
}
