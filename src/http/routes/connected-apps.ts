import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectParameters, entriesOf } from '../../core/params.js';
import { listConnectedApps, revokeAuthorization, type ConnectedApp } from '../../storage/grants.js';
import { findClient } from '../../storage/clients.js';
import { findUserById } from '../../storage/users.js';
import { csrfToken, isValidCsrfToken, loadSession, type CurrentSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { renderErrorPage } from '../errors.js';
import { loginUrlReturningTo } from '../return-to.js';

const CSRF_PURPOSE = 'connected-apps';
const PAGE_PATH = '/connected-apps';

/**
 * Registers the connected apps page: every client the logged-in user has authorized, and a form per
 * client that withdraws the authorization and revokes all of its tokens for this user.
 */
export function registerConnectedAppsRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(PAGE_PATH, { config: { errorFormat: 'page' } }, (request, reply) => showConnectedApps(context, request, reply));
  app.post(`${PAGE_PATH}/revoke`, { config: { errorFormat: 'page' } }, (request, reply) =>
    revokeConnectedApp(context, request, reply),
  );
}

async function showConnectedApps(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const current = await loadSession(context, request);
  if (current === undefined) return reply.header('cache-control', 'no-store').redirect(loginUrlReturningTo(PAGE_PATH), 303);
  return renderPage(context, reply, current, undefined);
}

async function renderPage(
  context: AppContext,
  reply: FastifyReply,
  current: CurrentSession,
  revokedName: string | undefined,
): Promise<FastifyReply> {
  const [user, apps] = await Promise.all([
    findUserById(context.db, current.session.userId),
    listConnectedApps(context.db, current.session.userId),
  ]);
  return context.views.render(reply, 'connected-apps', {
    username: user === undefined ? '' : (user.name ?? user.username),
    apps: apps.map(toPageEntry),
    revokedName,
    csrfToken: csrfToken(current.secret, CSRF_PURPOSE),
  });
}

function toPageEntry(app: ConnectedApp) {
  return {
    clientId: app.clientId,
    clientName: app.clientName,
    scopes: app.scopes,
    grantedAt: formatTime(app.grantedAt),
    lastUsed: app.lastUsedAt === null ? undefined : formatTime(app.lastUsedAt),
  };
}

/** Formats a time in UTC, to the minute, such as "2025-01-31 14:05 UTC". */
function formatTime(milliseconds: number): string {
  return `${new Date(milliseconds).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

async function revokeConnectedApp(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = collectParameters(entriesOf(request.body));
  const current = await loadSession(context, request);
  if (current === undefined) return reply.header('cache-control', 'no-store').redirect(loginUrlReturningTo(PAGE_PATH), 303);
  if (!isValidCsrfToken(current.secret, CSRF_PURPOSE, form.get('csrf_token'))) {
    request.log.info({ userId: current.session.userId }, 'connected app revocation rejected: invalid CSRF token');
    return renderErrorPage(context, reply, {
      status: 403,
      title: 'Form expired',
      message: 'The form is no longer valid. Load the connected apps page again and retry.',
    });
  }
  const clientId = form.get('client_id');
  if (clientId === undefined || clientId.length > 256) {
    return renderErrorPage(context, reply, {
      status: 400,
      title: 'Invalid request',
      message: "The form must send the 'client_id' of a connected app.",
    });
  }

  const client = await findClient(context.db, clientId);
  const result = await revokeAuthorization(context.db, {
    userId: current.session.userId,
    clientId,
    now: context.clock.now(),
    reason: 'removed on the connected apps page',
  });
  request.log.info({ userId: current.session.userId, clientId, ...result }, 'connected app removed');
  return renderPage(context, reply, current, result.grantDeleted ? (client?.name ?? clientId) : undefined);
}
