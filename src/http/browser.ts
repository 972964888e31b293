import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedSession } from '../core/interaction.js';
import { constantTimeEqual, generateSecret, hashSecret } from '../core/secrets.js';
import { deleteSession, findSession, insertSession } from '../storage/sessions.js';
import type { AppContext } from './context.js';

/**
 * Browser state: the login session cookie and the browser cookie that binds pending
 * authorization requests to the browser that started them. Both hold 256-bit random values;
 * the database stores only their SHA-256 hashes.
 */
const SESSION_COOKIE = 'gatehouse_session';
const BROWSER_COOKIE = 'gatehouse_browser';

function cookieName(context: AppContext, base: string): string {
  // The __Host- prefix makes browsers accept the cookie only with Secure, Path=/ and no Domain.
  return context.config.secureCookies ? `__Host-${base}` : base;
}

function cookieOptions(context: AppContext) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: context.config.secureCookies };
}

export interface CurrentSession {
  session: AuthenticatedSession;
  /** The cookie value, from which the session's CSRF tokens are derived. */
  secret: string;
}

export async function loadSession(context: AppContext, request: FastifyRequest): Promise<CurrentSession | undefined> {
  const secret = request.cookies[cookieName(context, SESSION_COOKIE)];
  if (secret === undefined || secret === '') return undefined;
  const session = await findSession(context.db, hashSecret(secret), context.clock.now());
  return session === undefined ? undefined : { session, secret };
}

/**
 * Starts a new session for the user and deletes the one the browser had, so a session id set
 * before login can never become an authenticated one.
 */
export async function startSession(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
): Promise<CurrentSession> {
  await endSession(context, request, reply);
  const now = context.clock.now();
  const secret = generateSecret();
  const expiresAt = now + context.config.sessionSeconds * 1000;
  await insertSession(context.db, { idHash: hashSecret(secret), userId, authTime: now, now, expiresAt });
  reply.setCookie(cookieName(context, SESSION_COOKIE), secret, {
    ...cookieOptions(context),
    maxAge: context.config.sessionSeconds,
  });
  return { session: { userId, authTime: now }, secret };
}

export async function endSession(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const name = cookieName(context, SESSION_COOKIE);
  const previous = request.cookies[name];
  if (previous === undefined) return;
  await deleteSession(context.db, hashSecret(previous));
  reply.clearCookie(name, cookieOptions(context));
}

/** Returns the browser cookie's value, setting a new one when the browser has none. */
export function ensureBrowserSecret(context: AppContext, request: FastifyRequest, reply: FastifyReply): string {
  const name = cookieName(context, BROWSER_COOKIE);
  const existing = request.cookies[name];
  if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const secret = generateSecret();
  reply.setCookie(name, secret, cookieOptions(context));
  return secret;
}

export function readBrowserSecret(context: AppContext, request: FastifyRequest): string | undefined {
  return request.cookies[cookieName(context, BROWSER_COOKIE)];
}

/**
 * Derives a form's CSRF token from a cookie value the page's origin alone can send. The token
 * reveals nothing about the cookie, and a cross-site page can neither read the cookie nor the form.
 */
export function csrfToken(cookieSecret: string, purpose: string): string {
  return hashSecret(`csrf:${purpose}:${cookieSecret}`);
}

export function isValidCsrfToken(cookieSecret: string | undefined, purpose: string, presented: string | undefined): boolean {
  if (cookieSecret === undefined || presented === undefined) return false;
  return constantTimeEqual(csrfToken(cookieSecret, purpose), presented);
}
