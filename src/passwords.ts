import { hash, verify } from '@node-rs/argon2';

/** argon2id with the library's defaults (19 MiB memory, 2 passes), the OWASP minimum. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password against a stored argon2id hash. With no stored hash (unknown user) it
 * verifies against a dummy hash, so an unknown username takes as long as a wrong password.
 * The hashing runs on libuv's thread pool, so it does not block the event loop.
 */
export async function verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  if (storedHash === undefined) {
    dummyHash ??= hash('gatehouse-dummy-password');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
