import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits: access tokens, refresh tokens, client secrets, session ids. */
export const LONG_LIVED_SECRET_BYTES = 32;
/** 128 bits is the floor for authorization codes (RFC 9700 section 4.5); Gatehouse uses 256 for them too. */
export const CODE_BYTES = 32;

export function generateSecret(bytes = LONG_LIVED_SECRET_BYTES): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Random identifier for rows and public ids: 128 random bits, URL-safe, no sequence. The first
 * character is a letter or digit, so an id given on a command line never reads as an option.
 */
export function generateId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/**
 * SHA-256 of a server-generated secret, as stored in the database. The secrets carry at least
 * 128 bits of entropy, so a fast hash is enough to make a stolen table useless.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Compares two strings in time that depends only on their lengths' digests, not on their contents. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}

/** Checks a presented secret against its stored SHA-256 hash in constant time. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(secret), storedHash);
}
