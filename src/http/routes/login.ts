import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectParameters, entriesOf } from '../../core/params.js';
import { verifyPassword } from '../../passwords.js';
import { markPendingRequestLoggedIn, type PendingAuthorizationRequest } from '../../storage/authorization-requests.js';
import { findClient } from '../../storage/clients.js';
import { findUserByUsername } from '../../storage/users.js';
import { advanceAuthorization, loadPendingRequest } from '../authorization-flow.js';
import { reserveLoginAttempt } from '../login-throttle.js';
import { csrfToken, ensureBrowserSecret, isValidCsrfToken, readBrowserSecret, startSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { readReturnTo } from '../return-to.js';
import { renderErrorPage } from '../errors.js';

/**
 * One message for unknown usernames and wrong passwords, so the form does not reveal which users
 * exist. This is the English text of the `login.failed` page message.
 */
export const LOGIN_FAILED_MESSAGE = 'The username or password is incorrect.';
const MAX_CREDENTIAL_LENGTH = 1024;

/** The login page, used during an authorization request (`?request=ID`) or on its own. */
export function registerLoginRoutes(app: FastifyInstance, context: AppContext): void {
  app.get('/login', { config: { errorFormat: 'page' } }, (request, reply) => showLogin(context, request, reply));
  app.post('/login', { config: { errorFormat: 'page' } }, (request, reply) => submitLogin(context, request, reply));
}

function csrfPurpose(requestId: string | undefined): string {
  return requestId === undefined ? 'login' : `login:${requestId}`;
}

async function showLogin(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = collectParameters(entriesOf(request.query));
  const requestId = query.get('request');
  let pending: PendingAuthorizationRequest | undefined;
  if (requestId !== undefined) {
    const lookup = await loadPendingRequest(context, request, reply, requestId);
    if (!lookup.found) return lookup.reply;
    pending = lookup.pending;
  }
  const browserSecret = ensureBrowserSecret(context, request, reply);
  const username = pending?.request.loginHint ?? '';
  const returnTo = readReturnTo(query.get('return_to'));
  return renderLogin(context, reply, browserSecret, pending, { username, failed: false, status: 200, returnTo });
}

async function renderLogin(
  context: AppContext,
  reply: FastifyReply,
  browserSecret: string,
  pending: PendingAuthorizationRequest | undefined,
  form: {
    username: string;
    failed: boolean;
    /** The password was right, but an administrator disabled the account. */
    disabled?: boolean;
    status: number;
    returnTo: string | undefined;
    /** Minutes until the login attempt limit lets this account or address try again. */
    retryAfterMinutes?: number;
  },
): Promise<FastifyReply> {
  const client = pending === undefined ? undefined : await findClient(context.db, pending.request.clientId);
  return context.views.render(
    reply,
    'login',
    {
      clientName: client?.name,
      requestId: pending?.id,
      csrfToken: csrfToken(browserSecret, csrfPurpose(pending?.id)),
      username: form.username,
      failed: form.failed,
      disabled: form.disabled === true,
      retryAfterMinutes: form.retryAfterMinutes,
      uiLocales: pending?.request.uiLocales,
      formTargets: pending === undefined ? [] : [pending.request.redirectUri],
      returnTo: form.returnTo,
    },
    form.status,
  );
}

async function submitLogin(context: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = collectParameters(entriesOf(request.body));
  const requestId = form.get('request');
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const returnTo = readReturnTo(form.get('return_to'));

  let pending: PendingAuthorizationRequest | undefined;
  if (requestId !== undefined) {
    const lookup = await loadPendingRequest(context, request, reply, requestId);
    if (!lookup.found) return lookup.reply;
    pending = lookup.pending;
  }
  const browserSecret = readBrowserSecret(context, request);
  if (browserSecret === undefined || !isValidCsrfToken(browserSecret, csrfPurpose(requestId), form.get('csrf_token'))) {
    request.log.info({ requestId }, 'login rejected: invalid CSRF token');
    return renderErrorPage(context, reply, {
      status: 403,
      title: 'Sign-in form expired',
      message: 'The sign-in form is no longer valid. Go back and load the page again.',
    });
  }

  const attempt = await reserveLoginAttempt(context, request, username.slice(0, MAX_CREDENTIAL_LENGTH));
  if (!attempt.allowed) {
    // The password is not checked at all, so a correct guess during the pause gains nothing.
    reply.header('retry-after', String(attempt.retryAfterSeconds));
    return renderLogin(context, reply, browserSecret, pending, {
      username: username.slice(0, MAX_CREDENTIAL_LENGTH),
      failed: false,
      status: 429,
      returnTo,
      retryAfterMinutes: Math.max(1, Math.ceil(attempt.retryAfterSeconds / 60)),
    });
  }

  const user =
    username.length > MAX_CREDENTIAL_LENGTH || password.length > MAX_CREDENTIAL_LENGTH
      ? undefined
      : await findUserByUsername(context.db, username);
  const passwordValid = await verifyPassword(password.slice(0, MAX_CREDENTIAL_LENGTH), user?.password_hash);
  if (user === undefined || !passwordValid) {
    request.log.info({ requestId, userFound: user !== undefined }, 'login failed');
    return renderLogin(context, reply, browserSecret, pending, {
      username: username.slice(0, MAX_CREDENTIAL_LENGTH),
      failed: true,
      status: 400,
      returnTo,
    });
  }
  if (user.disabled_at !== null) {
    // Only a caller who knows the password learns that the account is disabled. The attempt
    // stays counted, so a disabled account cannot be used to test passwords without limit.
    request.log.info({ requestId, userId: user.id }, 'login rejected: account disabled');
    return renderLogin(context, reply, browserSecret, pending, {
      username: username.slice(0, MAX_CREDENTIAL_LENGTH),
      failed: false,
      disabled: true,
      status: 403,
      returnTo,
    });
  }
  await attempt.succeeded();

  const current = await startSession(context, request, reply, user.id);
  request.log.info({ userId: user.id }, 'login succeeded');
  if (pending === undefined) return reply.redirect(returnTo ?? '/', 303);

  await markPendingRequestLoggedIn(context.db, pending.id);
  return advanceAuthorization(context, request, reply, pending.request, current.session, pending, {
    loggedIn: true,
    consented: false,
  });
}
