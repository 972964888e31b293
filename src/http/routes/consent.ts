import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessDenied } from '../../core/errors.js';
import { collectParameters, entriesOf } from '../../core/params.js';
import { generateId } from '../../core/secrets.js';
import { completePendingRequest } from '../../storage/authorization-requests.js';
import { findClient } from '../../storage/clients.js';
import { findGrantedScopes, recordGrant } from '../../storage/grants.js';
import { findUserById } from '../../storage/users.js';
import { advanceAuthorization, loadPendingRequest, renderRequestGone } from '../authorization-flow.js';
import { csrfToken, isValidCsrfToken, loadSession, readBrowserSecret } from '../browser.js';
import type { AppContext } from '../context.js';
import { describeScope, type Translate } from '../i18n.js';
import { pageLanguage } from '../page-language.js';
import { redirectWithError, renderErrorPage } from '../errors.js';

/** Registers the consent page: the client's name, the requested scopes in plain words, Allow and Deny. */
export function registerConsentRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/consent', { config: { errorFormat: 'page' } }, (request, reply) => showConsent(context, request, reply));
  app.post('/consent', { config: { errorFormat: 'page' } }, (request, reply) => submitConsent(context, request, reply));
}

function csrfPurpose(requestId: string): string {
  return `consent:${requestId}`;
}

/**
 * The lines of the consent page. Every client registered for the refresh_token grant receives a
 * refresh token, so the page states that the app keeps access even when offline_access was not requested.
 */
function describeRequestedAccess(
  scopes: readonly string[],
  granted: ReadonlySet<string>,
  receivesRefreshToken: boolean,
  t: Translate,
): Array<{ description: string; alreadyGranted: boolean }> {
  const lines = scopes.map((scope) => ({ description: describeScope(scope, t), alreadyGranted: granted.has(scope) }));
  if (receivesRefreshToken && !scopes.includes('offline_access')) {
    lines.push({ description: t('scope.offline_access'), alreadyGranted: false });
  }
  return lines;
}

async function showConsent(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = collectParameters(entriesOf(request.query));
  const lookup = await loadPendingRequest(context, request, reply, query.get('request'));
  if (!lookup.found) return lookup.reply;
  const { pending } = lookup;

  const current = await loadSession(context, request);
  if (current === undefined) {
    return reply.header('cache-control', 'no-store').redirect(`/login?request=${encodeURIComponent(pending.id)}`, 303);
  }
  const [client, user, granted] = await Promise.all([
    findClient(context.db, pending.request.clientId),
    findUserById(context.db, current.session.userId),
    findGrantedScopes(context.db, current.session.userId, pending.request.clientId),
  ]);
  if (client === undefined || client.disabled || user === undefined) {
    return renderErrorPage(context, reply, {
      status: 400,
      title: 'This request has ended',
      message: 'The app or the account of this request no longer exists.',
    });
  }

  const grantedSet = new Set(granted ?? []);
  const browserSecret = readBrowserSecret(context, request) ?? '';
  const { t } = pageLanguage(request, pending.request.uiLocales);
  return context.views.render(reply, 'consent', {
    uiLocales: pending.request.uiLocales,
    formTargets: [pending.request.redirectUri],
    clientName: client.name,
    username: user.name ?? user.username,
    scopes: describeRequestedAccess(pending.request.scopes, grantedSet, client.grantTypes.includes('refresh_token'), t),
    redirectOrigin: new URL(pending.request.redirectUri).origin,
    requestId: pending.id,
    csrfToken: csrfToken(browserSecret, csrfPurpose(pending.id)),
  });
}

async function submitConsent(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = collectParameters(entriesOf(request.body));
  const lookup = await loadPendingRequest(context, request, reply, form.get('request'));
  if (!lookup.found) return lookup.reply;
  const { pending } = lookup;

  if (!isValidCsrfToken(readBrowserSecret(context, request), csrfPurpose(pending.id), form.get('csrf_token'))) {
    request.log.info({ requestId: pending.id }, 'consent rejected: invalid CSRF token');
    return renderErrorPage(context, reply, {
      status: 403,
      title: 'Authorization form expired',
      message: 'The authorization form is no longer valid. Go back to the app and try again.',
    });
  }
  const current = await loadSession(context, request);
  if (current === undefined) {
    return reply.header('cache-control', 'no-store').redirect(`/login?request=${encodeURIComponent(pending.id)}`, 303);
  }

  const decision = form.get('decision');
  const target = {
    redirectUri: pending.request.redirectUri,
    state: pending.request.state,
    responseMode: pending.request.responseMode,
  };
  if (decision === 'deny') {
    if (!(await completePendingRequest(context.db, pending.id, context.clock.now()))) {
      return renderRequestGone(context, reply);
    }
    request.log.info({ requestId: pending.id, userId: current.session.userId }, 'authorization denied by the user');
    return redirectWithError(context, request, reply, target, new AccessDenied('the user denied the request'));
  }
  if (decision !== 'allow') {
    return renderErrorPage(context, reply, {
      status: 400,
      title: 'Invalid request',
      message: "The form must send 'decision' as 'allow' or 'deny'.",
    });
  }

  await recordGrant(context.db, {
    id: generateId(),
    userId: current.session.userId,
    clientId: pending.request.clientId,
    scopes: pending.request.scopes,
    now: context.clock.now(),
  });
  return advanceAuthorization(context, request, reply, pending.request, current.session, pending, {
    loggedIn: pending.loggedIn,
    consented: true,
  });
}
