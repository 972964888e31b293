import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeUserCode, formatUserCode } from '../../core/device-authorization.js';
import { collectParameters, entriesOf } from '../../core/params.js';
import { generateId, hashSecret } from '../../core/secrets.js';
import { findClient } from '../../storage/clients.js';
import {
  approveDeviceAuthorization,
  denyDeviceAuthorization,
  findPendingDeviceAuthorization,
  type PendingDeviceAuthorization,
} from '../../storage/device-authorizations.js';
import { recordGrant } from '../../storage/grants.js';
import { reserveAttempt, type RateLimit } from '../../storage/rate-limits.js';
import { findUserById } from '../../storage/users.js';
import { csrfToken, isValidCsrfToken, loadSession, type CurrentSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { describeScope, type MessageKey } from '../i18n.js';
import { pageLanguage } from '../page-language.js';
import { renderErrorPage } from '../errors.js';
import { loginUrlReturningTo } from '../return-to.js';

/**
 * Wrong user codes allowed per client IP address in each window. By estimate, with 20^8 (about
 * 2.6e10) possible codes and 1,000 live ones, one address that spends every attempt needs about
 * 70 years on average to hit one; many addresses together need proportionally less.
 */
/** Wrong user codes are counted per client address in fixed 15-minute windows, in the database. */
export const USER_CODE_WINDOW_SECONDS = 15 * 60;

function userCodeLimit(context: AppContext): RateLimit {
  return { name: 'device-user-code', maxAttempts: context.config.deviceCodeMaxFailures, windowSeconds: USER_CODE_WINDOW_SECONDS };
}
const ENTRY_CSRF_PURPOSE = 'device';

/**
 * Registers the verification page of the device flow (RFC 8628 section 3.3): the user logs in, types the
 * code shown on the device, and approves or denies on a consent page. The consent page is shown
 * even when the user authorized the client before, because only the user can tell that the code
 * came from their own device (section 5.4).
 */
export function registerDeviceRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/device', { config: { errorFormat: 'page' } }, (request, reply) => showEntry(context, request, reply));
  app.post('/device', { config: { errorFormat: 'page' } }, (request, reply) => submitCode(context, request, reply));
  app.post('/device/decision', { config: { errorFormat: 'page' } }, (request, reply) =>
    submitDecision(context, request, reply),
  );
}

function decisionCsrfPurpose(normalizedUserCode: string): string {
  return `device-decision:${normalizedUserCode}`;
}

async function showEntry(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = collectParameters(entriesOf(request.query));
  const typed = query.get('user_code')?.slice(0, 32);
  const current = await loadSession(context, request);
  if (current === undefined) {
    const returnTo = typed === undefined ? '/device' : `/device?user_code=${encodeURIComponent(typed)}`;
    return reply.header('cache-control', 'no-store').redirect(loginUrlReturningTo(returnTo), 303);
  }
  return renderEntry(context, reply, current, { userCode: typed ?? '', error: undefined, status: 200 });
}

function renderEntry(
  context: AppContext,
  reply: FastifyReply,
  current: CurrentSession,
  form: { userCode: string; error: MessageKey | undefined; status: number },
): FastifyReply {
  // The wrong-code limit counts in fixed windows; the end of the current one is when to retry.
  let retryAfterMinutes: number | undefined;
  if (form.status === 429) {
    const windowMs = USER_CODE_WINDOW_SECONDS * 1000;
    const retryAfterSeconds = Math.max(1, Math.ceil((windowMs - (context.clock.now() % windowMs)) / 1000));
    reply.header('retry-after', String(retryAfterSeconds));
    retryAfterMinutes = Math.ceil(retryAfterSeconds / 60);
  }
  return context.views.render(
    reply,
    'device',
    {
      userCode: form.userCode,
      error: form.error,
      retryAfterMinutes,
      csrfToken: csrfToken(current.secret, ENTRY_CSRF_PURPOSE),
    },
    form.status,
  );
}

async function submitCode(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = collectParameters(entriesOf(request.body));
  const current = await loadSession(context, request);
  if (current === undefined) return reply.header('cache-control', 'no-store').redirect(loginUrlReturningTo('/device'), 303);
  if (!isValidCsrfToken(current.secret, ENTRY_CSRF_PURPOSE, form.get('csrf_token'))) return renderFormExpired(context, reply);

  const typed = (form.get('user_code') ?? '').slice(0, 32);
  const found = await findByTypedCode(context, request, typed);
  if (found.outcome === 'limited') return renderEntry(context, reply, current, { userCode: typed, error: TOO_MANY_ATTEMPTS, status: 429 });
  if (found.outcome === 'not_found') return renderEntry(context, reply, current, { userCode: typed, error: CODE_NOT_VALID, status: 400 });

  const client = await findClient(context.db, found.device.clientId);
  const user = await findUserById(context.db, current.session.userId);
  if (client === undefined || client.disabled || user === undefined) {
    return renderEntry(context, reply, current, { userCode: typed, error: CODE_NOT_VALID, status: 400 });
  }
  return context.views.render(reply, 'device-consent', {
    clientName: client.name,
    username: user.name ?? user.username,
    // As on the consent page: a client with the refresh_token grant keeps access, so the page lists it.
    scopes: (client.grantTypes.includes('refresh_token') && !found.device.scopes.includes('offline_access')
      ? [...found.device.scopes, 'offline_access']
      : found.device.scopes
    ).map((scope) => describeScope(scope, pageLanguage(request).t)),
    userCode: formatUserCode(found.normalized),
    csrfToken: csrfToken(current.secret, decisionCsrfPurpose(found.normalized)),
  });
}

async function submitDecision(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = collectParameters(entriesOf(request.body));
  const current = await loadSession(context, request);
  if (current === undefined) return reply.header('cache-control', 'no-store').redirect(loginUrlReturningTo('/device'), 303);
  const typed = (form.get('user_code') ?? '').slice(0, 32);
  const normalized = normalizeUserCode(typed) ?? '';
  if (!isValidCsrfToken(current.secret, decisionCsrfPurpose(normalized), form.get('csrf_token'))) {
    return renderFormExpired(context, reply);
  }
  const decision = form.get('decision');
  if (decision !== 'allow' && decision !== 'deny') {
    return renderErrorPage(context, reply, {
      status: 400,
      title: 'Invalid request',
      message: "The form must send 'decision' as 'allow' or 'deny'.",
    });
  }

  // The session owner can derive the CSRF token for any code, so this path counts wrong codes too.
  const found = await findByTypedCode(context, request, typed);
  if (found.outcome === 'limited') return renderEntry(context, reply, current, { userCode: typed, error: TOO_MANY_ATTEMPTS, status: 429 });
  if (found.outcome === 'not_found') return renderEntry(context, reply, current, { userCode: typed, error: CODE_NOT_VALID, status: 400 });

  const decided = decision === 'allow'
    ? await approve(context, current, found.device)
    : await denyDeviceAuthorization(context.db, {
        deviceCodeHash: found.device.deviceCodeHash,
        userId: current.session.userId,
        now: context.clock.now(),
      });
  if (!decided) return renderEntry(context, reply, current, { userCode: typed, error: CODE_NOT_VALID, status: 400 });
  request.log.info({ clientId: found.device.clientId, userId: current.session.userId, decision }, 'device authorization decided');
  return context.views.render(reply, 'device-done', { approved: decision === 'allow' });
}

const TOO_MANY_ATTEMPTS: MessageKey = 'device.too_many_attempts';
const CODE_NOT_VALID: MessageKey = 'device.code_not_valid';

type CodeLookup =
  | { outcome: 'found'; device: PendingDeviceAuthorization; normalized: string }
  | { outcome: 'not_found' }
  | { outcome: 'limited' };

/**
 * Finds the pending device authorization of a typed user code. Each lookup reserves an attempt
 * against the client IP address's limit and gives it back when the code is right, so only wrong
 * codes count.
 */
async function findByTypedCode(context: AppContext, request: FastifyRequest, typed: string): Promise<CodeLookup> {
  const now = context.clock.now();
  const reservation = await reserveAttempt(context.db, userCodeLimit(context), request.ip, now);
  if (!reservation.allowed) {
    request.log.info({ ip: request.ip }, 'user code entry rate-limited');
    return { outcome: 'limited' };
  }
  const normalized = normalizeUserCode(typed);
  const device = normalized === undefined ? undefined : await findPendingDeviceAuthorization(context.db, hashSecret(normalized), now);
  if (normalized === undefined || device === undefined) {
    request.log.info({ ip: request.ip }, 'wrong user code');
    return { outcome: 'not_found' };
  }
  await reservation.release();
  return { outcome: 'found', device, normalized };
}

/** Approves the device authorization and remembers the authorization for the connected apps page. */
async function approve(context: AppContext, current: CurrentSession, device: PendingDeviceAuthorization): Promise<boolean> {
  const now = context.clock.now();
  const approved = await approveDeviceAuthorization(context.db, {
    deviceCodeHash: device.deviceCodeHash,
    userId: current.session.userId,
    authTime: current.session.authTime,
    family: {
      id: generateId(),
      clientId: device.clientId,
      userId: current.session.userId,
      createdAt: now,
      expiresAt: now + context.config.refreshFamilySeconds * 1000,
    },
    now,
  });
  if (approved) {
    await recordGrant(context.db, {
      id: generateId(),
      userId: current.session.userId,
      clientId: device.clientId,
      scopes: device.scopes,
      now,
    });
  }
  return approved;
}

function renderFormExpired(context: AppContext, reply: FastifyReply): FastifyReply {
  return renderErrorPage(context, reply, {
    status: 403,
    title: 'Form expired',
    message: 'The form is no longer valid. Load the page again and retry.',
  });
}
