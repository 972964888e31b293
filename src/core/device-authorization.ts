import { randomInt } from 'node:crypto';

/**
 * User codes use 20 consonants without vowels or look-alikes (RFC 8628 section 6.1): no words
 * can form, and nothing reads as a digit. Eight of them carry about 34.6 bits, which the rate
 * limit on wrong entries protects.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
/** How long the device code and user code stay valid. */
export const DEVICE_CODE_SECONDS = 600;
/** The polling interval given to the device (RFC 8628 section 3.2 suggests 5 seconds). */
export const DEVICE_POLLING_INTERVAL_SECONDS = 5;
/** RFC 8628 section 3.5: each slow_down adds 5 seconds to the interval. */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;
/** A bound on the interval, so a burst of fast polls cannot lock a device out for long. */
export const MAX_POLLING_INTERVAL_SECONDS = 60;

/** Generates a user code of USER_CODE_LENGTH letters, without modulo bias. */
export function generateUserCode(): string {
  let code = '';
  for (let index = 0; index < USER_CODE_LENGTH; index += 1) {
    code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  }
  return code;
}

/** Shows a normalized user code as XXXX-XXXX. */
export function formatUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/**
 * Normalizes what a user typed: case, width, spaces and dashes do not matter (RFC 8628 section 6.1).
 * Returns undefined when the rest is not USER_CODE_LENGTH letters of the alphabet.
 */
export function normalizeUserCode(typed: string): string | undefined {
  // NFKC folds full-width letters to ASCII; any dash or space is a separator (RFC 8628 section 6.1).
  const compact = typed.normalize('NFKC').toUpperCase().replace(/[\s\p{Pd}\u2212]/gu, '');
  if (compact.length !== USER_CODE_LENGTH) return undefined;
  for (const character of compact) {
    if (!USER_CODE_ALPHABET.includes(character)) return undefined;
  }
  return compact;
}

/** An approved device authorization, handed out once to the polling device. */
export interface ApprovedDeviceAuthorization {
  familyId: string;
  familyExpiresAt: number;
  userId: string;
  authTime: number;
  scopes: string[];
  resource: string | null;
}

export type DevicePoll =
  | { outcome: 'approved'; authorization: ApprovedDeviceAuthorization }
  | { outcome: 'pending' }
  | { outcome: 'slow_down' }
  | { outcome: 'denied' }
  | { outcome: 'expired' }
  /** Unknown, issued to another client, or already collected. */
  | { outcome: 'invalid'; reason: string };

/** The storage operation the device grant needs. */
export interface DeviceAuthorizationStore {
  /**
   * Records a poll and reports the state of the device authorization. A poll sooner than the
   * interval after the previous one gets slow_down; an approved authorization is handed out to
   * exactly one poll.
   */
  pollDeviceAuthorization(deviceCodeHash: string, clientId: string, now: number): Promise<DevicePoll>;
}
