import type { FastifyInstance } from 'fastify';
import { collectParameters, entriesOf } from '../../core/params.js';
import { endSession, isValidCsrfToken, loadSession } from '../browser.js';
import type { AppContext } from '../context.js';
import { renderErrorPage } from '../errors.js';

export const LOGOUT_CSRF_PURPOSE = 'logout';

/** Ends the login session. POST only, with a CSRF token derived from the session cookie. */
export function registerLogoutRoutes(app: FastifyInstance, context: AppContext): void {
  app.post('/logout', { config: { errorFormat: 'page' } }, async (request, reply) => {
    const form = collectParameters(entriesOf(request.body));
    const current = await loadSession(context, request);
    if (current !== undefined) {
      if (!isValidCsrfToken(current.secret, LOGOUT_CSRF_PURPOSE, form.get('csrf_token'))) {
        request.log.info({ userId: current.session.userId }, 'logout rejected: invalid CSRF token');
        return renderErrorPage(context, reply, {
          status: 403,
          title: 'Sign-out form expired',
          message: 'The sign-out form is no longer valid. Load the page again and retry.',
        });
      }
      request.log.info({ userId: current.session.userId }, 'logout');
    }
    await endSession(context, request, reply);
    return reply.header('cache-control', 'no-store').redirect('/', 303);
  });
}
