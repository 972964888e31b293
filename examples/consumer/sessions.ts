import { randomBytes } from 'node:crypto';
import type { IDToken, UserInfoResponse } from 'oauth4webapi';

/** An authorization request the browser has been sent to Gatehouse with, awaiting its response. */
export interface PendingAuthorization {
  state: string;
  codeVerifier: string;
  /** The nonce sent with the request, which the ID token must carry. */
  nonce: string;
}

/**
 * The result of a successful sign-in. The consumer keeps the ID token, for id_token_hint when it
 * signs out, and the access token, to ask userinfo again on each visit and so notice when the user
 * removed the app in Gatehouse. It keeps no refresh token.
 */
export interface Connection {
  accessToken: string;
  /** The ID token as issued, a compact JWS. */
  idToken: string;
  /** The ID token's claims, after oauth4webapi's checks and the signature check against the JWKS. */
  idTokenClaims: IDToken;
  userinfo: UserInfoResponse;
  /** The scope Gatehouse granted, from the token response. */
  scope: string | undefined;
}

/** A logout request the browser has been sent to Gatehouse's end_session_endpoint with. */
export interface PendingLogout {
  /** The state sent with the request, which Gatehouse returns to the post-logout redirect URI. */
  state: string;
}

export interface ConsumerSession {
  pending?: PendingAuthorization | undefined;
  connection?: Connection | undefined;
  pendingLogout?: PendingLogout | undefined;
  /** Expiry time in milliseconds since the epoch. Each use moves it forward by the idle lifetime. */
  expiresAt: number;
}

/** Sessions end after an hour without requests. */
const IDLE_LIFETIME_MS = 60 * 60 * 1000;
/** A bound on stored sessions, so a client that drops the cookie on every request cannot exhaust memory. */
const MAX_SESSIONS = 10_000;

/**
 * Server-side sessions of the consumer, keyed by a random cookie value.
 *
 * NOTE: the sessions live in this process's memory, so a restart disconnects everyone and two
 * processes do not share them. A real app stores them in a database or a shared cache.
 */
export class SessionStore {
  private readonly sessions = new Map<string, ConsumerSession>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Returns the session for a cookie value and extends its lifetime, or undefined when it is unknown or expired. */
  find(id: string | undefined): ConsumerSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    session.expiresAt = this.now() + IDLE_LIFETIME_MS;
    return session;
  }

  /** Stores a session under a new 256-bit random id and returns the id, which becomes the cookie value. */
  create(session: Omit<ConsumerSession, 'expiresAt'> = {}): string {
    this.removeExpired();
    // A Map iterates in insertion order, so the first key is the session created first.
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { ...session, expiresAt: this.now() + IDLE_LIFETIME_MS });
    return id;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  private removeExpired(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
  }
}
